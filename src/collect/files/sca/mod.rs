//! SCA report readers.
