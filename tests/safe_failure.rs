//! Safe failure of snapshots (issue 11, point 5), mostly through the real binary:
//! a failed final save on SIGTERM keeps the server up (a), a failed background
//! save makes writes fail with -MISCONF (b) and logs its reason (d), a parent
//! killed during BGSAVE restarts at once on its port (c), and a full disk (a 1 MB
//! tmpfs as `dir`, else a read-only directory) keeps the previous snapshot intact
//! while reads go on and writes wait for a good save or the operator.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::{start, try_start};
use common::*;
use rudis::Config;
use rudis::protocol::Frame;

/// Longest a test waits for a log line, a background save or an exit.
const WAIT: Duration = Duration::from_secs(20);

/// Redis 7.0's `shared.bgsaveerr`, as a client sees it.
const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently \
unable to persist to disk. Commands that may modify the data set are disabled, because this \
instance is configured to report errors during writes if RDB snapshotting fails \
(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB \
error.";

/// One field of INFO persistence.
fn info_field(c: &mut Raw, name: &str) -> String {
    let info = text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

/// Polls INFO until no background save runs; returns its last status.
fn wait_bgsave(c: &mut Raw) -> String {
    let deadline = Instant::now() + WAIT;
    while info_field(c, "rdb_bgsave_in_progress") == "1" {
        assert!(Instant::now() < deadline, "background save did not finish");
    }
    info_field(c, "rdb_last_bgsave_status")
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sigterm_with_a_failing_final_save_keeps_serving() {
    let dir = TempDir(scratch_dir("safe-sigterm"));
    let data = dir.0.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let args = ["--port", "0", "--dir", path_text(&data), "--save", "3600 1"];
    let mut server = start(&args);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    // The directory goes away: the final save cannot even create its file.
    std::fs::remove_dir(&data).expect("rmdir");
    server.signal(libc::SIGTERM);
    server.wait_log("Received SIGTERM scheduling shutdown...");
    let why = server.wait_log("Failed opening the temp RDB file");
    assert!(why.contains("No such file or directory"), "{why}");
    server.wait_log("Error trying to save the DB, can't exit.");
    server.wait_log("Errors trying to shut down the server. Check the logs");
    // Still serving, with its data, and still accepting writes (a failed final save
    // is not a failed background save, as in Redis).
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["SET", "k2", "v2"]), simple("OK"));
    assert!(server.running());
    assert!(!server.log_text().contains("Exit anyway"));
    // Once the disk is back, the next SIGTERM saves and exits cleanly.
    std::fs::create_dir(&data).expect("mkdir");
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit().success(), "{}", server.log_text());
    let server = start(&args);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "k2"]), bulk("v2"));
}

#[test]
fn failed_bgsave_refuses_writes_and_logs_why() {
    let dir = TempDir(scratch_dir("safe-bgsave"));
    let data = dir.0.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let args = ["--port", "0", "--dir", path_text(&data), "--save", "3600 1"];
    let server = start(&args);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    std::fs::remove_dir(&data).expect("rmdir");
    assert_eq!(c.cmd(&["BGSAVE"]), simple("Background saving started"));
    assert_eq!(wait_bgsave(&mut c), "err");
    // (b) the write is refused; reads go on.
    assert_eq!(c.cmd(&["SET", "k", "w"]), error(MISCONF));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    // (d) the child's reason reaches the log, before the parent's line.
    let why = server.wait_log("Failed opening the temp RDB file");
    assert!(why.contains("No such file or directory"), "{why}");
    server.wait_log("Background saving error");
    let log = server.log_text();
    let reason_at = log
        .find("Failed opening the temp RDB file")
        .expect("reason");
    assert!(reason_at < log.find("Background saving error").expect("error line"));
    // The operator turns the check off: writes are accepted again.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SET", "k", "w"]), simple("OK"));
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "err");
}

#[test]
fn parent_killed_during_bgsave_restarts_at_once_on_its_port() {
    let dir = TempDir(scratch_dir("safe-kill"));
    let data = dir.0.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    // One second per key: the save of 60 keys outlives the test.
    let delay = ["--rdb-key-save-delay", "1000000"];
    let mut args = vec!["--port", "0", "--dir", path_text(&data)];
    args.extend(delay);
    let mut server = start(&args);
    let port = server.addr.port().to_string();
    let mut c = server.raw();
    for i in 0..60 {
        let key = format!("k{i}");
        assert_eq!(c.cmd(&["SET", &key, "v"]), simple("OK"));
    }
    assert_eq!(c.cmd(&["BGSAVE"]), simple("Background saving started"));
    let line = server.wait_log("Background saving started by pid ");
    let saver: libc::pid_t = line
        .rsplit(' ')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {line}"));
    // The saving child is killed whatever happens below.
    struct Reap(libc::pid_t);
    impl Drop for Reap {
        fn drop(&mut self) {
            // SAFETY: kills the saving child the server started for this test.
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
    let _reap = Reap(saver);
    server.signal(libc::SIGKILL);
    server.wait_exit();
    // SAFETY: signal 0 only asks whether the saving child still exists.
    assert_eq!(
        unsafe { libc::kill(saver, 0) },
        0,
        "the save ended too soon"
    );
    // The client sees its server go, instead of hanging on the child's copy.
    c.expect_closed();
    // A new server binds the same port at once (no `Address already in use`) and
    // serves new clients.
    let fresh = TempDir(scratch_dir("safe-kill-again"));
    let again = try_start(&["--port", &port, "--dir", path_text(&fresh.0)])
        .unwrap_or_else(|log| panic!("restart on port {port} failed:\n{log}"));
    assert_eq!(again.raw().cmd(&["PING"]), simple("PONG"));
    // SAFETY: as above; the child was still saving when the new server started.
    assert_eq!(unsafe { libc::kill(saver, 0) }, 0);
}

/// A directory whose filesystem can be made to refuse the next save: a 1 MB tmpfs
/// (root), else a directory made read-only (which root could still write).
struct FullDisk {
    dir: TempDir,
    mounted: bool,
}

impl FullDisk {
    /// `None` when neither works here (root without the right to mount).
    fn new() -> Option<FullDisk> {
        let dir = TempDir(scratch_dir("safe-full"));
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs", path_text(&dir.0)])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        // SAFETY: geteuid has no preconditions.
        if !mounted && unsafe { libc::geteuid() } == 0 {
            return None;
        }
        Some(FullDisk { dir, mounted })
    }

    /// Makes the next save fail; `fill` writes what no longer fits.
    fn jam(&self, fill: impl FnOnce()) {
        if self.mounted {
            fill();
        } else {
            set_mode(&self.dir.0, 0o555);
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.dir.0).status();
        } else {
            set_mode(&self.dir.0, 0o755);
        }
    }
}

/// `len` characters no compressor could shrink much.
fn noise(seed: u64, len: usize) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("temp-"))
        .collect()
}

#[test]
fn a_full_disk_keeps_the_snapshot_and_stops_writes_until_a_good_save() {
    let Some(disk) = FullDisk::new() else {
        eprintln!("skipped: root without the right to mount a tmpfs");
        return;
    };
    let dump = disk.dir.0.join("dump.rdb");
    let dir = disk.dir.0.clone();
    let server = start_server_with(move |c: &mut Config| {
        c.dir = dir;
        c.save = rudis::config::parse_save("3600 1").expect("save points");
    });
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "small", "x"]), simple("OK"));
    assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
    let before = std::fs::read(&dump).expect("read snapshot");
    // A transaction queued while all is well, executed after the failure.
    let mut queued = server.raw();
    assert_eq!(queued.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(queued.cmd(&["SET", "q", "1"]), simple("QUEUED"));
    disk.jam(|| {
        for i in 0..3 {
            let key = format!("big{i}");
            assert_eq!(c.cmd(&["SET", &key, &noise(i, 500_000)]), simple("OK"));
        }
    });
    assert_eq!(c.cmd(&["BGSAVE"]), simple("Background saving started"));
    assert_eq!(wait_bgsave(&mut c), "err");

    // Reads work; writes, PING, write transactions and write scripts get MISCONF.
    assert_eq!(c.cmd(&["GET", "small"]), bulk("x"));
    assert_eq!(c.cmd(&["SET", "small", "y"]), error(MISCONF));
    assert_eq!(c.cmd(&["PING"]), error(MISCONF));
    assert_eq!(
        queued.cmd(&["EXEC"]),
        error(&format!(
            "EXECABORT Transaction discarded because of: {MISCONF}"
        ))
    );
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "small"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["SET", "small", "y"]), error(MISCONF));
    assert_eq!(
        c.cmd(&["EXEC"]),
        error("EXECABORT Transaction discarded because of previous errors.")
    );
    let script = c.cmd(&["EVAL", "return redis.call('set','small','y')", "0"]);
    match &script {
        Frame::Error(e) => assert!(e.starts_with(MISCONF) && e.contains("script:"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.cmd(&["EVAL", "#!lua\nreturn 1", "0"]), error(MISCONF));
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get','small')",
            "0"
        ]),
        bulk("x")
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get','small')", "0"]),
        bulk("x")
    );
    // The last good snapshot is intact, and no temporary file is left behind.
    assert_eq!(std::fs::read(&dump).expect("read snapshot"), before);
    assert_eq!(temp_files(&disk.dir.0), Vec::<String>::new());

    // Only while save points are configured.
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "small", "y"]), simple("OK"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", "3600 1"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "small", "z"]), error(MISCONF));
    // The operator turns the check off, then on again.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["SET", "small", "z"]), simple("OK"));
    if disk.mounted {
        assert_eq!(c.cmd(&["DEL", "big0", "big1", "big2"]), int(3));
    } else {
        set_mode(&disk.dir.0, 0o755);
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SET", "small", "w"]), error(MISCONF));
    // A later good save ends the refusal.
    assert_eq!(c.cmd(&["BGSAVE"]), simple("Background saving started"));
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(c.cmd(&["SET", "small", "w"]), simple("OK"));
    assert_ne!(std::fs::read(&dump).expect("read snapshot"), before);
    drop(c);
    drop(queued);
    drop(server);
}

#[test]
fn an_aof_write_error_refuses_writes_until_the_disk_has_room() {
    let Some(disk) = FullDisk::new() else {
        eprintln!("skipped: root without the right to mount a tmpfs");
        return;
    };
    if !disk.mounted {
        eprintln!("skipped: an AOF write error needs a full tmpfs");
        return;
    }
    let dir = disk.dir.0.clone();
    let server = start_server_with(move |c: &mut Config| {
        c.dir = dir;
        c.appendonly = true;
        c.appendfsync = rudis::config::Fsync::Everysec;
    });
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "small", "x"]), simple("OK"));
    // Fill the 1 MB disk: with everysec the write that fails was already
    // acknowledged (as in Redis); the writes after it are refused.
    const AOF_MISCONF: &str = "MISCONF Errors writing to the AOF file: No space left on device";
    let mut refused = None;
    for i in 0..64 {
        let reply = c.cmd(&["SET", &format!("big{i}"), &noise(i, 100_000)]);
        if reply != simple("OK") {
            refused = Some(reply);
            break;
        }
    }
    assert_eq!(refused, Some(error(AOF_MISCONF)), "a 1 MB disk fills up");
    assert_eq!(c.cmd(&["GET", "small"]), bulk("x"));
    assert_eq!(c.cmd(&["SET", "small", "y"]), error(AOF_MISCONF));
    assert_eq!(c.cmd(&["PING"]), error(AOF_MISCONF));
    let mut c2 = server.raw();
    assert_eq!(info_field(&mut c2, "aof_last_write_status"), "err");
    // Room again: the next loop turn writes what the AOF held, and writes resume.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m", path_text(&disk.dir.0)])
        .status()
        .is_ok_and(|s| s.success());
    assert!(grown, "remount the tmpfs bigger");
    let mut resumed = false;
    for _ in 0..1000 {
        if c.cmd(&["SET", "small", "z"]) == simple("OK") {
            resumed = true;
            break;
        }
    }
    assert!(resumed, "writes resume once the AOF can be written");
    assert_eq!(info_field(&mut c2, "aof_last_write_status"), "ok");
    assert_eq!(c.cmd(&["GET", "small"]), bulk("z"));
}
