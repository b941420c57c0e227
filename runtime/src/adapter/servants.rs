//! The servant maps of an adapter (Ice's `ServantManager`): active servants by identity and
//! facet, default servants and servant locators by category, and the lookup order Ice uses.

use crate::dispatch::{Servant, ServantLocator};
use crate::error::{Error, Result};
use crate::identity::Identity;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub(super) struct ServantMaps {
    active: HashMap<Identity, HashMap<String, Arc<dyn Servant>>>,
    defaults: HashMap<String, Arc<dyn Servant>>,
    locators: HashMap<String, Arc<dyn ServantLocator>>,
}

/// The outcome of a lookup.
pub(super) enum Found {
    /// A servant (active, or a default servant).
    Servant(Arc<dyn Servant>),
    /// No servant, but a locator to ask; the flag says whether the identity has other facets.
    Locator(Arc<dyn ServantLocator>, bool),
    /// Nothing; the flag says whether the identity has other facets (then the reply is
    /// `FacetNotExist`, else `ObjectNotExist`).
    Nothing(bool),
}

fn describe(identity: &Identity, facet: &str) -> String {
    let id = crate::dispatch::DisplayIdentityOwned(identity);
    if facet.is_empty() {
        format!("servant `{id}'")
    } else {
        format!("servant `{id}' with facet `{facet}'")
    }
}

impl ServantMaps {
    pub(super) fn add(
        &mut self,
        servant: Arc<dyn Servant>,
        identity: Identity,
        facet: String,
    ) -> Result<()> {
        if self
            .active
            .get(&identity)
            .is_some_and(|f| f.contains_key(&facet))
        {
            return Err(Error::AlreadyRegistered(describe(&identity, &facet)));
        }
        self.active
            .entry(identity)
            .or_default()
            .insert(facet, servant);
        Ok(())
    }

    pub(super) fn remove(&mut self, identity: &Identity, facet: &str) -> Result<Arc<dyn Servant>> {
        let Some(facets) = self.active.get_mut(identity) else {
            return Err(Error::NotRegistered(describe(identity, facet)));
        };
        let Some(servant) = facets.remove(facet) else {
            return Err(Error::NotRegistered(describe(identity, facet)));
        };
        if facets.is_empty() {
            self.active.remove(identity);
        }
        Ok(servant)
    }

    pub(super) fn remove_all(
        &mut self,
        identity: &Identity,
    ) -> Result<HashMap<String, Arc<dyn Servant>>> {
        self.active
            .remove(identity)
            .ok_or_else(|| Error::NotRegistered(describe(identity, "")))
    }

    pub(super) fn all_facets(&self, identity: &Identity) -> HashMap<String, Arc<dyn Servant>> {
        self.active.get(identity).cloned().unwrap_or_default()
    }

    pub(super) fn add_default(
        &mut self,
        servant: Arc<dyn Servant>,
        category: String,
    ) -> Result<()> {
        if self.defaults.contains_key(&category) {
            return Err(Error::AlreadyRegistered(format!(
                "default servant for category `{category}'"
            )));
        }
        self.defaults.insert(category, servant);
        Ok(())
    }

    pub(super) fn remove_default(&mut self, category: &str) -> Result<Arc<dyn Servant>> {
        self.defaults.remove(category).ok_or_else(|| {
            Error::NotRegistered(format!("default servant for category `{category}'"))
        })
    }

    pub(super) fn default_servant(&self, category: &str) -> Option<Arc<dyn Servant>> {
        self.defaults.get(category).cloned()
    }

    pub(super) fn add_locator(
        &mut self,
        locator: Arc<dyn ServantLocator>,
        category: String,
    ) -> Result<()> {
        if self.locators.contains_key(&category) {
            return Err(Error::AlreadyRegistered(format!(
                "servant locator for category `{category}'"
            )));
        }
        self.locators.insert(category, locator);
        Ok(())
    }

    pub(super) fn remove_locator(&mut self, category: &str) -> Result<Arc<dyn ServantLocator>> {
        self.locators.remove(category).ok_or_else(|| {
            Error::NotRegistered(format!("servant locator for category `{category}'"))
        })
    }

    pub(super) fn locator(&self, category: &str) -> Option<Arc<dyn ServantLocator>> {
        self.locators.get(category).cloned()
    }

    pub(super) fn into_locators(self) -> HashMap<String, Arc<dyn ServantLocator>> {
        self.locators
    }

    /// Ice's lookup order: the active servant of the identity and facet; else the default
    /// servant of the identity's category, else the default servant of `""`; else the
    /// locator of the category, else the locator of `""`.
    pub(super) fn find(&self, identity: &Identity, facet: &str) -> Found {
        let facets = self.active.get(identity);
        if let Some(servant) = facets.and_then(|f| f.get(facet)) {
            return Found::Servant(Arc::clone(servant));
        }
        if let Some(servant) = self
            .defaults
            .get(&identity.category)
            .or_else(|| self.defaults.get(""))
        {
            return Found::Servant(Arc::clone(servant));
        }
        let has_identity = facets.is_some();
        let locator = self.locators.get(&identity.category).or_else(|| {
            if identity.category.is_empty() {
                None
            } else {
                self.locators.get("")
            }
        });
        match locator {
            Some(l) => Found::Locator(Arc::clone(l), has_identity),
            None => Found::Nothing(has_identity),
        }
    }
}

/// A random version-4 UUID in its usual text form, from the standard library's randomly
/// seeded hasher (no external crate; not for cryptography).
pub(super) fn uuid() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_usize(i);
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
