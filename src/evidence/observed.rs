//! The serialized shape of an [`Observed`](super::Observed) value: `{"observed": …}` or
//! `{"gap": {…}}`, stated in the evidence format (`schemas/evidence.schema.json`)
//! rather than serde's internal `{"Ok": …}` / `{"Err": …}` for `Result`.
//!
//! Used as `#[serde(with = "crate::evidence::observed")]` on an `Observed<T>` field and
//! `#[serde(with = "crate::evidence::observed::option")]` on an `Option<Observed<T>>`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Gap;

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum ShapeRef<'a, T> {
    Observed(&'a T),
    Gap(&'a Gap),
}

/// The serialized shape, also the JSON Schema of an observed field.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Shape<T> {
    /// The value that was read.
    Observed(T),
    /// Why it could not be.
    Gap(Gap),
}

/// Serializes `Ok(v)` as `{"observed": v}` and `Err(gap)` as `{"gap": gap}`.
pub fn serialize<S: Serializer, T: Serialize>(
    value: &Result<T, Gap>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Ok(v) => ShapeRef::Observed(v).serialize(serializer),
        Err(gap) => ShapeRef::<T>::Gap(gap).serialize(serializer),
    }
}

/// Reads `{"observed": v}` or `{"gap": gap}`.
pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Result<T, Gap>, D::Error> {
    Ok(match Shape::<T>::deserialize(deserializer)? {
        Shape::Observed(v) => Ok(v),
        Shape::Gap(gap) => Err(gap),
    })
}

/// The same shape for an optional value (`None` is left out by the field's
/// `skip_serializing_if`).
pub mod option {
    use super::*;

    /// Serializes `Some` as [`serialize`](super::serialize) does; `None` as null.
    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Result<T, Gap>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(Ok(v)) => ShapeRef::Observed(v).serialize(serializer),
            Some(Err(gap)) => ShapeRef::<T>::Gap(gap).serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an optional observed-or-gap value.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Result<T, Gap>>, D::Error> {
        Ok(
            Option::<Shape<T>>::deserialize(deserializer)?.map(|shape| match shape {
                Shape::Observed(v) => Ok(v),
                Shape::Gap(gap) => Err(gap),
            }),
        )
    }
}
