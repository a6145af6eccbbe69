//! placeholder
use super::Report;
/// Annotations.
pub fn annotations(_r: &Report) -> String {
    String::new()
}
