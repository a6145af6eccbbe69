//! VEX readers.
