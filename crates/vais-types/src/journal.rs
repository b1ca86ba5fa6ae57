//! Undo-logged containers for the REPL session's transactions: a transaction records each
//! insertion and the previous value of each overwrite (so its cost is proportional to what the
//! input changed, not to the size of the session); rollback replays the log backwards.

use std::borrow::Borrow;
use crate::fx::FxHashMap as HashMap;
use std::hash::Hash;
use std::ops::{Deref, Index, IndexMut};

/// A `HashMap` whose mutations are journaled while a transaction is open. Reads go through
/// `Deref`; every mutation is an explicit method.
#[derive(Clone, Debug)]
pub struct JMap<K, V> {
    map: HashMap<K, V>,
    log: Vec<(K, Option<V>)>,
    on: bool,
}

impl<K, V> Default for JMap<K, V> {
    fn default() -> Self {
        JMap { map: HashMap::default(), log: vec![], on: false }
    }
}

impl<K, V> Deref for JMap<K, V> {
    type Target = HashMap<K, V>;
    fn deref(&self) -> &HashMap<K, V> {
        &self.map
    }
}

impl<K: Hash + Eq + Clone, V: Clone> JMap<K, V> {
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        if self.on {
            let old = self.map.insert(k.clone(), v);
            self.log.push((k, old.clone()));
            old
        } else {
            self.map.insert(k, v)
        }
    }

    pub fn remove<Q>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.on {
            let (k, old) = self.map.remove_entry(k)?;
            self.log.push((k, Some(old.clone())));
            Some(old)
        } else {
            self.map.remove(k)
        }
    }

    /// Mutable access to one entry (its previous value is journaled).
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.on {
            let (key, old) = self.map.get_key_value(k)?;
            self.log.push((key.clone(), Some(old.clone())));
        }
        self.map.get_mut(k)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let gone: Vec<K> = self.map.iter().filter(|(k, v)| !keep(k, v)).map(|(k, _)| k.clone()).collect();
        for k in gone {
            self.remove(&k);
        }
    }

    /// A nested savepoint inside the open transaction.
    pub fn savepoint(&self) -> usize {
        self.log.len()
    }

    pub fn rollback_to(&mut self, sp: usize) {
        while self.log.len() > sp {
            self.undo_one();
        }
    }

    fn undo_one(&mut self) {
        if let Some((k, old)) = self.log.pop() {
            match old {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
    }

    pub fn begin(&mut self) {
        self.on = true;
        self.log.clear();
    }

    pub fn commit(&mut self) {
        self.on = false;
        self.log.clear();
    }

    pub fn rollback(&mut self) {
        self.rollback_to(0);
        self.on = false;
    }
}

/// A `Vec` whose mutations are journaled while a transaction is open: pushes are undone by
/// truncating to the length at the start, overwrites of older elements save the old value.
#[derive(Clone, Debug)]
pub struct JVec<T> {
    v: Vec<T>,
    mark: Option<usize>,
    saved: Vec<(usize, T)>,
}

impl<T> Default for JVec<T> {
    fn default() -> Self {
        JVec { v: vec![], mark: None, saved: vec![] }
    }
}

impl<T> Deref for JVec<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.v
    }
}

impl<T> Index<usize> for JVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.v[i]
    }
}

impl<T: Clone> IndexMut<usize> for JVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        if let Some(m) = self.mark {
            if i < m {
                self.saved.push((i, self.v[i].clone()));
            }
        }
        &mut self.v[i]
    }
}

impl<T: Clone> JVec<T> {
    pub fn push(&mut self, x: T) {
        self.v.push(x);
    }

    /// A nested savepoint: (length, journal length, enclosing mark).
    pub fn savepoint(&mut self) -> VecSave {
        let sp = VecSave(self.v.len(), self.saved.len(), self.mark);
        self.mark = Some(self.v.len());
        sp
    }

    pub fn rollback_to(&mut self, sp: VecSave) {
        self.v.truncate(sp.0);
        while self.saved.len() > sp.1 {
            let (i, x) = self.saved.pop().expect("saved");
            self.v[i] = x;
        }
        self.mark = sp.2;
    }

    /// Keep the changes since the savepoint (they stay in the enclosing transaction).
    pub fn release(&mut self, sp: VecSave) {
        self.mark = sp.2;
    }

    pub fn begin(&mut self) {
        self.mark = Some(self.v.len());
        self.saved.clear();
    }

    /// Indices of the existing entries changed by the open transaction (possibly repeated).
    pub fn changed(&self) -> impl Iterator<Item = usize> + '_ {
        self.saved.iter().map(|(i, _)| *i)
    }

    pub fn commit(&mut self) {
        self.mark = None;
        self.saved.clear();
    }

    pub fn rollback(&mut self) {
        if let Some(m) = self.mark.take() {
            self.v.truncate(m);
        }
        while let Some((i, x)) = self.saved.pop() {
            // Entries journaled inside a released savepoint may lie beyond the truncation.
            if i < self.v.len() {
                self.v[i] = x;
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct VecSave(usize, usize, Option<usize>);

/// Journal for the program (a `vais_tir::Program`, whose vectors are only appended to, except
/// for the few overwrites of older entries that go through `Ctx::set_func` and friends).
#[derive(Clone, Debug, Default)]
pub struct ProgMark {
    pub lens: Option<[usize; 5]>,
    pub main: Option<vais_tir::FuncId>,
    pub funcs: Vec<(usize, vais_tir::FuncDef)>,
    pub externs: Vec<(usize, vais_tir::ExternDef)>,
    pub globals: Vec<(usize, vais_tir::GlobalDef)>,
    pub structs: Vec<(usize, vais_tir::StructDef)>,
    pub enums: Vec<(usize, vais_tir::EnumDef)>,
}
