use super::*;
use crate::commands::table::acl_registry as registry;

fn user(rules: &[&str]) -> User {
    let mut u = User::new(b"u", registry());
    for r in rules {
        u.apply(r.as_bytes()).unwrap_or_else(|e| panic!("{r}: {e}"));
    }
    u
}

fn id(name: &str) -> usize {
    registry().lookup(name.as_bytes()).expect(name)
}

fn flags(name: &str) -> crate::spec::Flags {
    registry().entries[id(name)].flags
}

fn runs(u: &User, name: &str) -> bool {
    u.root.can_run(id(name), flags(name), None)
}

#[test]
fn new_and_default_users() {
    let u = User::new(b"u", registry());
    assert_eq!(u.describe(), "off resetchannels -@all");
    assert!(!u.unrestricted());
    let d = User::default_user(registry());
    assert_eq!(d.describe(), "on nopass ~* &* +@all");
    assert!(d.unrestricted());
    assert!(d.password_ok(b"anything"));
}

#[test]
fn passwords_are_hashed_and_checked() {
    let mut u = user(&["on", ">p1", ">p2", ">p1"]);
    assert_eq!(u.passwords.len(), 2);
    assert!(u.password_ok(b"p1") && u.password_ok(b"p2"));
    assert!(!u.password_ok(b"p3") && !u.password_ok(b""));
    let line = u.describe();
    assert!(!line.contains("p1") && line.contains(&sha256::to_hex(&sha256::sha256(b"p1"))));
    u.apply(b"<p1").expect("remove");
    assert!(!u.password_ok(b"p1"));
    assert_eq!(u.apply(b"<p1"), Err(RuleError::NoSuchPassword));
    let hash = sha256::to_hex(&sha256::sha256(b"p9"));
    u.apply(format!("#{hash}").as_bytes()).expect("hash");
    assert!(u.password_ok(b"p9"));
    u.apply(format!("!{hash}").as_bytes()).expect("unhash");
    assert!(!u.password_ok(b"p9"));
    assert_eq!(u.apply(b"#abc"), Err(RuleError::BadHash));
    assert_eq!(
        u.apply(format!("#{}", hash.to_uppercase()).as_bytes()),
        Err(RuleError::BadHash)
    );
    u.apply(b"off").expect("off");
    assert!(!u.password_ok(b"p2"), "a disabled user cannot log in");
    u.apply(b"on").expect("on");
    u.apply(b"nopass").expect("nopass");
    assert!(u.passwords.is_empty() && u.password_ok(b"whatever"));
    u.apply(b"resetpass").expect("resetpass");
    assert!(!u.password_ok(b"whatever"));
    // Binary passwords work.
    let u = user(&["on", ">a\0b"]);
    assert!(u.password_ok(b"a\0b") && !u.password_ok(b"a"));
}

#[test]
fn command_rules() {
    let u = user(&["+get"]);
    assert!(runs(&u, "get") && !runs(&u, "set"));
    assert_eq!(u.root.command_rules(), "-@all +get");
    let u = user(&["+@all", "-set"]);
    assert!(runs(&u, "get") && !runs(&u, "set"));
    assert_eq!(u.root.command_rules(), "+@all -set");
    let u = user(&["+@read", "-get"]);
    assert!(runs(&u, "mget") && !runs(&u, "get") && !runs(&u, "set"));
    let u = user(&["+@all", "-@write"]);
    assert!(runs(&u, "get") && !runs(&u, "incr"));
    // Later rules for one command replace earlier ones in the text.
    let u = user(&["+get", "-get", "+get"]);
    assert_eq!(u.root.command_rules(), "-@all +get");
    assert!(runs(&u, "get"));
    // NO_AUTH commands are always allowed.
    let u = user(&[]);
    assert!(runs(&u, "auth") && runs(&u, "hello") && !runs(&u, "ping"));
    assert_eq!(
        User::new(b"x", registry()).apply(b"+nosuch"),
        Err(RuleError::Unknown)
    );
    assert_eq!(
        User::new(b"x", registry()).apply(b"-@nosuch"),
        Err(RuleError::Unknown)
    );
    assert_eq!(
        User::new(b"x", registry()).apply(b"bogus"),
        Err(RuleError::Syntax)
    );
    assert_eq!(
        User::new(b"x", registry()).apply(b"+"),
        Err(RuleError::Unknown)
    );
    assert_eq!(
        User::new(b"x", registry()).apply(b"-@"),
        Err(RuleError::Unknown)
    );
}

#[test]
fn subcommands_and_first_args() {
    let u = user(&["+config|get"]);
    assert!(u.root.can_run(id("config|get"), flags("config|get"), None));
    assert!(!u.root.can_run(id("config|set"), flags("config|set"), None));
    assert!(!runs(&u, "config"));
    let u = user(&["+config", "-config|set"]);
    assert!(
        u.root
            .can_run(id("config|get"), crate::spec::Flags::EMPTY, None)
    );
    assert!(
        !u.root
            .can_run(id("config|set"), crate::spec::Flags::EMPTY, None)
    );
    assert_eq!(u.root.command_rules(), "-@all +config -config|set");
    // `+config` again overrides the earlier subcommand rule, in the text too.
    let u = user(&["-config|set", "+config"]);
    assert_eq!(u.root.command_rules(), "-@all +config");
    let u = user(&["+select|0"]);
    assert!(
        u.root
            .can_run(id("select"), crate::spec::Flags::EMPTY, Some(b"0"))
    );
    assert!(
        !u.root
            .can_run(id("select"), crate::spec::Flags::EMPTY, Some(b"1"))
    );
    assert!(
        !u.root
            .can_run(id("select"), crate::spec::Flags::EMPTY, None)
    );
    assert_eq!(u.root.command_rules(), "-@all +select|0");
    let mut x = User::new(b"x", registry());
    assert_eq!(x.apply(b"+config|nosuch"), Err(RuleError::Unknown));
    assert_eq!(
        x.apply(b"+config|get|x"),
        Err(RuleError::SubcommandFirstArg)
    );
    assert_eq!(x.apply(b"+select|"), Err(RuleError::Syntax));
    assert_eq!(x.apply(b"-select|0"), Err(RuleError::Unknown));
}

#[test]
fn key_and_channel_patterns() {
    let u = user(&["~obj:*", "%R~ro:*", "%W~wo:*"]);
    assert!(u.root.can_access_key(b"obj:1", crate::kf!(ACCESS | UPDATE)));
    assert!(!u.root.can_access_key(b"other", crate::kf!(ACCESS)));
    assert!(u.root.can_access_key(b"ro:1", crate::kf!(ACCESS)));
    assert!(!u.root.can_access_key(b"ro:1", crate::kf!(ACCESS | UPDATE)));
    assert!(u.root.can_access_key(b"wo:1", crate::kf!(UPDATE)));
    assert!(!u.root.can_access_key(b"wo:1", crate::kf!(ACCESS)));
    assert_eq!(u.root.keys_text(), "~obj:* %R~ro:* %W~wo:*");
    let u = user(&["%R~k", "%W~k"]);
    assert_eq!(u.root.keys_text(), "~k");
    let mut all = user(&["allkeys"]);
    assert!(
        all.root
            .can_access_key(b"anything", crate::kf!(ACCESS | UPDATE))
    );
    assert_eq!(all.apply(b"~x"), Err(RuleError::KeysAfterAll));
    all.apply(b"resetkeys").expect("resetkeys");
    assert!(!all.root.can_access_key(b"anything", crate::kf!(ACCESS)));
    assert_eq!(
        User::new(b"x", registry()).apply(b"%X~k"),
        Err(RuleError::Syntax)
    );
    assert_eq!(
        User::new(b"x", registry()).apply(b"%Rk"),
        Err(RuleError::Syntax)
    );

    let mut c = user(&["&news.*"]);
    assert!(c.root.can_access_channel(b"news.it", false));
    assert!(!c.root.can_access_channel(b"sport", false));
    assert!(c.root.can_access_channel(b"news.*", true));
    assert!(!c.root.can_access_channel(b"news.i*", true));
    assert_eq!(c.root.channels_text(), "&news.*");
    c.apply(b"allchannels").expect("allchannels");
    assert_eq!(c.apply(b"&x"), Err(RuleError::ChannelsAfterAll));
}

#[test]
fn reset_and_describe_round_trip() {
    let u = user(&["on", ">pw", "~k*", "&c", "+@read", "-get", "+set"]);
    let line = u.describe();
    assert_eq!(
        line,
        format!(
            "on #{} ~k* resetchannels &c -@all +@read -get +set",
            sha256::to_hex(&sha256::sha256(b"pw"))
        )
    );
    // Rules read back give the same user.
    let mut again = User::new(b"u", registry());
    for rule in line.split(' ') {
        again.apply(rule.as_bytes()).expect(rule);
    }
    assert_eq!(again.describe(), line);
    for name in ["get", "set", "mget", "incr"] {
        assert_eq!(runs(&again, name), runs(&u, name), "{name}");
    }
    let mut r = u.clone();
    r.apply(b"reset").expect("reset");
    assert_eq!(r.describe(), "off sanitize-payload resetchannels -@all");
    assert_eq!(r.name, b"u");
    assert_eq!(r.flag_names(), ["off", "sanitize-payload"]);
}

#[test]
fn names_with_spaces_are_refused() {
    assert!(has_spaces(b"a b") && has_spaces(b"a\0b") && has_spaces(b"a\tb"));
    assert!(!has_spaces(b"alice"));
}

#[test]
fn selectors_are_added_described_and_cleared() {
    let mut u = user(&["on", "+get", "~a*", "(+set ~b* &chan)", "()"]);
    assert_eq!(u.selectors.len(), 2);
    assert_eq!(
        u.describe(),
        "on ~a* resetchannels -@all +get (~b* resetchannels &chan -@all +set) (resetchannels -@all)"
    );
    assert!(u.selectors[0].can_run(id("set"), flags("set"), None));
    assert!(!u.root.can_run(id("set"), flags("set"), None));
    // Rules inside parentheses are selector rules only: user flags are a syntax error.
    assert_eq!(u.apply(b"(on)"), Err(RuleError::Syntax));
    assert_eq!(u.apply(b"(&* &x)"), Err(RuleError::ChannelsAfterAll));
    // Quotes inside a selector, as Redis's sdssplitargs.
    u.apply(b"(\"~q\\x41\" '+get')").expect("quoted");
    assert_eq!(u.selectors[2].keys[0].pattern, b"qA");
    assert_eq!(u.apply(b"(\"~with space\")"), Err(RuleError::Syntax));
    // Unbalanced quotes give an empty selector, as Redis.
    u.apply(b"(\"~k)").expect("unbalanced");
    assert_eq!(u.selectors[3].describe(), "resetchannels -@all");
    u.selectors.truncate(3);
    // An opening parenthesis without its closing one is a root rule: a syntax error.
    assert_eq!(u.apply(b"(+get"), Err(RuleError::Syntax));
    u.apply(b"clearselectors").expect("clearselectors");
    assert!(u.selectors.is_empty());
    assert_eq!(u.describe(), "on ~a* resetchannels -@all +get");
    let mut r = user(&["(+get)"]);
    r.apply(b"reset").expect("reset");
    assert!(r.selectors.is_empty(), "reset clears the selectors");
    // The description reads back as the same user.
    let u = user(&["on", "%R~r*", "(%W~w* +set)", "(+get %R~r*)"]);
    let line = u.describe();
    let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let mut again = User::new(b"u", registry());
    for rule in merge_selector_args(&words).expect("balanced") {
        again.apply(&rule).expect("rule");
    }
    assert_eq!(again.describe(), line);
}

#[test]
fn selector_arguments_are_merged_as_redis() {
    let merge = |args: &[&str]| -> Result<Vec<String>, usize> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        merge_selector_args(&args).map(|m| {
            m.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
    };
    assert_eq!(
        merge(&["on", "(~k", "+get", ")", "(+set)", "( ~x +get )"]),
        Ok(vec![
            "on".into(),
            "(~k +get )".into(),
            "(+set)".into(),
            "( ~x +get )".into()
        ])
    );
    assert_eq!(merge(&["on", "(", "+get"]), Err(1));
    assert_eq!(merge(&[")"]), Ok(vec![")".into()]));
    assert_eq!(merge(&["", "()"]), Ok(vec!["".into(), "()".into()]));
}

#[test]
fn key_patterns_grant_read_write_or_both() {
    use crate::acl::selector::key_access;
    let u = user(&["%R~r*", "%W~w*", "%RW~rw*", "~k?y"]);
    let (read, write, both, exists) = (
        crate::kf!(RO | ACCESS),
        crate::kf!(OW | UPDATE),
        crate::kf!(RW | ACCESS | UPDATE),
        crate::kf!(RO),
    );
    assert_eq!(key_access(read), (true, false));
    assert_eq!(key_access(crate::kf!(RW | INSERT)), (false, true));
    assert_eq!(key_access(exists), (false, false));
    let s = &u.root;
    assert!(s.can_access_key(b"r1", read) && !s.can_access_key(b"r1", write));
    assert!(s.can_access_key(b"w1", write) && !s.can_access_key(b"w1", read));
    assert!(s.can_access_key(b"rw1", both) && s.can_access_key(b"rw1", read));
    assert!(!s.can_access_key(b"r1", both) && !s.can_access_key(b"w1", both));
    // A key read and written by neither (EXISTS) needs any pattern.
    assert!(s.can_access_key(b"w1", exists) && !s.can_access_key(b"x", exists));
    // Glob patterns still work past the literal and prefix fast paths.
    assert!(s.can_access_key(b"key", both) && !s.can_access_key(b"kexy", both));
    let exact = user(&["~exact", "~pre*", "~esc\\*"]);
    assert!(exact.root.can_access_key(b"exact", both));
    assert!(!exact.root.can_access_key(b"exact1", both));
    assert!(exact.root.can_access_key(b"pre", both) && exact.root.can_access_key(b"prefix", both));
    assert!(exact.root.can_access_key(b"esc*", both) && !exact.root.can_access_key(b"escx", both));
    assert!(!user(&["%W~*"]).root.can_access_all_keys(read));
    assert!(user(&["%R~*"]).root.can_access_all_keys(read));
    assert!(user(&["allkeys"]).root.can_access_all_keys(read));
    assert!(!user(&["%R~a*"]).root.can_access_all_keys(read));
    assert_eq!(u.root.keys_text(), "%R~r* %W~w* ~rw* ~k?y");
}
