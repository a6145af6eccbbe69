//! Unit tests of the SARIF reader on small hand-written logs.
