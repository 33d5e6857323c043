//! `Frame::decode` on arbitrary bytes never panics; a decoded frame re-encodes to bytes
//! that decode to the same frame and encode the same again; every proper prefix of a
//! decodable frame is "incomplete", never an error or a different frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rudis::protocol::Frame;
use rudis_fuzz::same;

fuzz_target!(|data: &[u8]| {
    let Ok(Some((frame, used))) = Frame::decode(data) else {
        return;
    };
    assert!(used > 0 && used <= data.len());
    let mut once = Vec::new();
    frame.encode(&mut once);
    let again = Frame::decode(&once);
    let Ok(Some((frame2, used2))) = again else {
        panic!(
            "{frame:?} encoded as {:?} does not decode: {again:?}",
            once.escape_ascii().to_string()
        );
    };
    assert_eq!(
        used2,
        once.len(),
        "{frame:?}: trailing bytes after re-encoding"
    );
    assert!(same(&frame, &frame2), "{frame:?} came back as {frame2:?}");
    let mut twice = Vec::new();
    frame2.encode(&mut twice);
    assert_eq!(once, twice, "encoding is not stable");
    let step = (used / 64).max(1);
    for end in (0..used).step_by(step) {
        assert_eq!(
            Frame::decode(&data[..end]),
            Ok(None),
            "prefix of {end} bytes"
        );
    }
});
