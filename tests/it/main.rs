//! Integration tests, one binary for all of them (faster to link than one per file).

mod report_sinks;
