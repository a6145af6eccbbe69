//! placeholder
pub fn control_ids() -> Vec<&'static str> { vec!["sast", "sca"] }
