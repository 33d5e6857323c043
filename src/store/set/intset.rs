//! Redis's intset: the members of an all-integer set as one sorted array, all of the
//! narrowest width (16, 32 or 64 bits) that holds every member. Lookups are a binary
//! search; an insert or removal moves the tail and reallocates the array to its exact
//! size, as Redis does, so a small set carries no spare room.

/// A sorted array of distinct integers, of one width for the whole set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IntSet {
    /// Every member fits 16 bits.
    I16(Box<[i16]>),
    /// Some member needs 32 bits, none needs 64.
    I32(Box<[i32]>),
    /// Some member needs 64 bits.
    I64(Box<[i64]>),
}

impl Default for IntSet {
    fn default() -> IntSet {
        IntSet::I16(Box::default())
    }
}

/// Bytes a value needs in an intset (2, 4 or 8).
fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Inserts `v` in order into a sorted boxed slice, growing it by exactly one slot;
/// false when already present.
fn sorted_insert<T: Ord + Copy>(slots: &mut Box<[T]>, v: T) -> bool {
    match slots.binary_search(&v) {
        Ok(_) => false,
        Err(at) => {
            let mut grown = std::mem::take(slots).into_vec();
            grown.reserve_exact(1);
            grown.insert(at, v);
            *slots = grown.into_boxed_slice();
            true
        }
    }
}

/// Removes position `at` of a boxed slice, shrinking it to its exact size.
fn remove_pos<T: Copy>(slots: &mut Box<[T]>, at: usize) -> Option<T> {
    if at >= slots.len() {
        return None;
    }
    let mut shrunk = std::mem::take(slots).into_vec();
    let v = shrunk.remove(at);
    *slots = shrunk.into_boxed_slice();
    Some(v)
}

impl IntSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            IntSet::I16(a) => a.len(),
            IntSet::I32(a) => a.len(),
            IntSet::I64(a) => a.len(),
        }
    }

    /// Bytes per member (2, 4 or 8).
    #[cfg(test)]
    pub fn width(&self) -> usize {
        match self {
            IntSet::I16(_) => 2,
            IntSet::I32(_) => 4,
            IntSet::I64(_) => 8,
        }
    }

    /// True when `v` is a member.
    pub fn contains(&self, v: i64) -> bool {
        match self {
            IntSet::I16(a) => i16::try_from(v).is_ok_and(|v| a.binary_search(&v).is_ok()),
            IntSet::I32(a) => i32::try_from(v).is_ok_and(|v| a.binary_search(&v).is_ok()),
            IntSet::I64(a) => a.binary_search(&v).is_ok(),
        }
    }

    /// Adds `v`, widening the whole array first when `v` needs more bits; false when
    /// already present.
    pub fn insert(&mut self, v: i64) -> bool {
        let need = width_of(v);
        let have = match self {
            IntSet::I16(_) => 2,
            IntSet::I32(_) => 4,
            IntSet::I64(_) => 8,
        };
        if need > have {
            self.widen(need);
        }
        // The casts are exact: `v` fits the (possibly widened) width.
        match self {
            IntSet::I16(a) => sorted_insert(a, v as i16),
            IntSet::I32(a) => sorted_insert(a, v as i32),
            IntSet::I64(a) => sorted_insert(a, v),
        }
    }

    /// Re-encodes every member at `width` bytes (wider than the current one).
    fn widen(&mut self, width: usize) {
        let all = self.iter();
        *self = if width == 4 {
            IntSet::I32(all.map(|v| v as i32).collect())
        } else {
            IntSet::I64(all.collect())
        };
    }

    /// Removes `v`; false when absent. The width never narrows (as Redis).
    pub fn remove(&mut self, v: i64) -> bool {
        let at = match self {
            IntSet::I16(a) => i16::try_from(v).ok().and_then(|v| a.binary_search(&v).ok()),
            IntSet::I32(a) => i32::try_from(v).ok().and_then(|v| a.binary_search(&v).ok()),
            IntSet::I64(a) => a.binary_search(&v).ok(),
        };
        at.is_some_and(|at| self.remove_at(at).is_some())
    }

    /// The member at position `at` (in ascending order).
    pub fn get(&self, at: usize) -> Option<i64> {
        match self {
            IntSet::I16(a) => a.get(at).map(|&v| i64::from(v)),
            IntSet::I32(a) => a.get(at).map(|&v| i64::from(v)),
            IntSet::I64(a) => a.get(at).copied(),
        }
    }

    /// Removes and returns the member at position `at`.
    pub fn remove_at(&mut self, at: usize) -> Option<i64> {
        match self {
            IntSet::I16(a) => remove_pos(a, at).map(i64::from),
            IntSet::I32(a) => remove_pos(a, at).map(i64::from),
            IntSet::I64(a) => remove_pos(a, at),
        }
    }

    /// The smallest and largest members.
    pub fn min_max(&self) -> Option<(i64, i64)> {
        Some((self.get(0)?, self.get(self.len().checked_sub(1)?)?))
    }

    /// The members in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { set: self, at: 0 }
    }
}

/// The members of an [`IntSet`] in ascending order.
#[derive(Debug, Clone)]
pub(super) struct Iter<'a> {
    set: &'a IntSet,
    at: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let v = self.set.get(self.at)?;
        self.at += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.set.len().saturating_sub(self.at);
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_to_the_narrowest_width_and_stays_sorted() {
        let mut s = IntSet::default();
        assert!(s.insert(5) && s.insert(-3) && !s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -3, 5, 70_000]);
        assert!(s.contains(70_000) && !s.contains(6));
        assert!(s.remove(i64::MIN) && !s.remove(i64::MIN));
        assert_eq!(s.width(), 8, "never narrows");
        assert_eq!(s.min_max(), Some((-3, 70_000)));
        assert_eq!(s.remove_at(1), Some(5));
        assert_eq!(s.remove_at(9), None);
        let narrow = IntSet::I16(vec![1, 2].into_boxed_slice());
        assert!(
            !narrow.contains(65_537),
            "a value wider than the array is absent"
        );
    }
}
