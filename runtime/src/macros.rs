//! `include_slice!`: mounts a Rust file that `slicec_rs::Builder` generated into `OUT_DIR`.

/// Mounts the Rust code generated from a Slice file by `slicec_rs::Builder` in a build
/// script: `ice_runtime::include_slice!("Demo")` includes `$OUT_DIR/Demo.rs` here.
///
/// ```ignore
/// mod generated {
///     ice_runtime::include_slice!("Demo");
/// }
/// use generated::demo::{Model, ModelPrx};
/// ```
#[macro_export]
macro_rules! include_slice {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

/// Generated typed proxies' factory methods: the `ObjectPrx` ones (`ice_oneway`,
/// `ice_context`, ...) returning the typed proxy instead of an `ObjectPrx`. Generated code
/// invokes it inside `impl IPrx { .. }`; the proxy's field `0` is its `ObjectPrx`.
#[macro_export]
macro_rules! typed_proxy_factories {
    () => {
        /// This proxy with another identity.
        pub fn ice_identity(&self, identity: $crate::Identity) -> Self {
            Self(self.0.ice_identity(identity))
        }
        /// This proxy for another facet.
        pub fn ice_facet(&self, facet: &str) -> Self {
            Self(self.0.ice_facet(facet))
        }
        /// This proxy with another adapter id.
        pub fn ice_adapter_id(&self, adapter_id: &str) -> Self {
            Self(self.0.ice_adapter_id(adapter_id))
        }
        /// This proxy with another request context.
        pub fn ice_context(&self, context: $crate::Context) -> Self {
            Self(self.0.ice_context(context))
        }
        /// This proxy with an invocation timeout (milliseconds; -1: none).
        pub fn ice_invocation_timeout(&self, timeout_ms: i32) -> Self {
            Self(self.0.ice_invocation_timeout(timeout_ms))
        }
        /// This proxy, twoway.
        pub fn ice_twoway(&self) -> Self {
            Self(self.0.ice_twoway())
        }
        /// This proxy, oneway.
        pub fn ice_oneway(&self) -> Self {
            Self(self.0.ice_oneway())
        }
        /// This proxy, batch oneway.
        pub fn ice_batch_oneway(&self) -> Self {
            Self(self.0.ice_batch_oneway())
        }
        /// This proxy, secure or not.
        pub fn ice_secure(&self, secure: bool) -> Self {
            Self(self.0.ice_secure(secure))
        }
        /// This proxy, compressing or not.
        pub fn ice_compress(&self, compress: bool) -> Self {
            Self(self.0.ice_compress(compress))
        }
        /// This proxy bound to `connection`.
        pub fn ice_fixed(&self, connection: &$crate::connection::Connection) -> Self {
            Self(self.0.ice_fixed(connection))
        }
    };
}
