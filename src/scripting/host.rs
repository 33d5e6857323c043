//! What the `redis.*` callbacks reach while a script runs.
//!
//! The callbacks (`redis.call`, `redis.pcall`, `redis.acl_check_cmd` and the count
//! hook) are created once per interpreter, not per run: creating them inside
//! `Lua::scope` at every run cost more than the script. They reach the run's
//! environment, which borrows the store and the server state, through a
//! [`HostSlot`] that holds it only while [`HostSlot::lend`] runs.

use std::cell::Cell;
use std::ptr::NonNull;

use mlua::{Lua, MultiValue, Value};

/// The server side of a running script.
pub trait Host {
    /// `redis.call` / `redis.pcall` with the script's RESP version (`resp3`):
    /// the reply, and whether it is an error (which `redis.call` raises).
    fn call(&mut self, lua: &Lua, resp3: bool, args: MultiValue) -> mlua::Result<(Value, bool)>;

    /// `redis.acl_check_cmd(cmd, args...)`: `true, allowed`, or `false, error
    /// table` for arguments that name no command.
    fn acl_check(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)>;

    /// The count hook: true when the script must stop.
    fn busy(&mut self) -> bool;
}

/// The [`Host`] of the run in progress, if any.
///
/// It holds a pointer only between the start and the end of [`HostSlot::lend`],
/// which has the host mutably borrowed for that whole time: the pointer never
/// outlives the host, and nothing else uses the host meanwhile. [`HostSlot::with`]
/// hands it out to one caller at a time (callbacks are not reentered: commands run
/// no Lua, but a check is cheap).
#[derive(Default)]
pub struct HostSlot {
    host: Cell<Option<NonNull<dyn Host>>>,
    in_use: Cell<bool>,
}

impl HostSlot {
    /// Runs `f` with `host` reachable through [`HostSlot::with`]; the slot is
    /// emptied again when `f` returns or unwinds.
    pub fn lend<R>(&self, host: &mut dyn Host, f: impl FnOnce() -> R) -> R {
        /// Puts the previous content back, on return and on unwind.
        struct Restore<'s> {
            slot: &'s HostSlot,
            previous: Option<NonNull<dyn Host>>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.slot.host.set(self.previous);
            }
        }
        let ptr: NonNull<dyn Host + '_> = NonNull::from(host);
        // SAFETY: only the trait object's lifetime bound changes (same layout). The
        // pointer is dereferenced only in `with`, while `lend` is running — `host`
        // stays mutably borrowed, and so alive and unused elsewhere, until then —
        // and `Restore` takes it out of the slot before `lend` returns or unwinds.
        let ptr: NonNull<dyn Host> = unsafe { std::mem::transmute(ptr) };
        let _restore = Restore {
            slot: self,
            previous: self.host.replace(Some(ptr)),
        };
        f()
    }

    /// Runs `f` on the lent host; `None` when no run is in progress or the host
    /// is already in use further up the stack.
    pub fn with<R>(&self, f: impl FnOnce(&mut dyn Host) -> R) -> Option<R> {
        /// Marks the host free again, on return and on unwind.
        struct Release<'s>(&'s Cell<bool>);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let mut ptr = self.host.get()?;
        if self.in_use.replace(true) {
            return None;
        }
        let _release = Release(&self.in_use);
        // SAFETY: the pointer is in the slot only while `lend` runs, with the host
        // borrowed for it (see `lend`); `in_use` makes this the only `&mut` to it.
        let host = unsafe { ptr.as_mut() };
        Some(f(host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    impl Host for Counter {
        fn call(&mut self, _: &Lua, _: bool, _: MultiValue) -> mlua::Result<(Value, bool)> {
            self.0 += 1;
            Ok((Value::Nil, false))
        }
        fn acl_check(&mut self, _: &Lua, _: MultiValue) -> mlua::Result<(bool, Value)> {
            Ok((true, Value::Nil))
        }
        fn busy(&mut self) -> bool {
            self.0 += 10;
            false
        }
    }

    #[test]
    fn lent_only_during_the_run_and_not_reentered() {
        let slot = HostSlot::default();
        assert!(slot.with(|h| h.busy()).is_none());
        let mut counter = Counter(0);
        slot.lend(&mut counter, || {
            assert_eq!(slot.with(|h| h.busy()), Some(false));
            // A nested use is refused while the host is in use.
            assert_eq!(slot.with(|_| slot.with(|h| h.busy())), Some(None));
        });
        assert!(slot.with(|h| h.busy()).is_none());
        assert_eq!(counter.0, 10);
    }
}
