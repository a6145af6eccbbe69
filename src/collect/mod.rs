//! Collection: reading the world into evidence.
pub mod files;
