//! Allowed ranges of the numbers users write in files and flags. A file's
//! value is checked while it is deserialized (`serde(deserialize_with)`), so
//! the TOML error carries the value's position and the loader reports
//! `file:line:col`. NaN and infinities are outside every range.

/// An inclusive range and what the number means, for the message.
#[derive(Clone, Copy, Debug)]
pub struct Bound<T> {
    pub lo: T,
    pub hi: T,
    /// e.g. "seconds between metric polls".
    pub what: &'static str,
}

impl<T: Number> Bound<T> {
    pub const fn new(lo: T, hi: T, what: &'static str) -> Self {
        Self { lo, hi, what }
    }

    /// The value if it is within the range, else a message naming the range.
    pub fn check(&self, value: T) -> Result<T, String> {
        if value >= self.lo && value <= self.hi {
            Ok(value)
        } else {
            Err(format!(
                "{} is out of range: expected {}, {} to {}",
                value.shown(),
                self.what,
                self.lo.shown(),
                self.hi.shown()
            ))
        }
    }
}

/// A number a `Bound` can hold, shown as a person would write it.
pub trait Number: PartialOrd + Copy {
    fn shown(self) -> String;
}

impl Number for u32 {
    fn shown(self) -> String {
        self.to_string()
    }
}

impl Number for u64 {
    fn shown(self) -> String {
        self.to_string()
    }
}

impl Number for f64 {
    /// `1e300`, not three hundred digits.
    fn shown(self) -> String {
        if self.is_finite() && self != 0.0 && !(1e-4..1e9).contains(&self.abs()) {
            format!("{self:e}")
        } else {
            self.to_string()
        }
    }
}

/// `bounded!(NAME: T = BOUND)` defines `fn NAME(d) -> Result<T, D::Error>`,
/// and `bounded!(NAME: Option<T> = BOUND)` one for an optional field, checking
/// `BOUND`, for `#[serde(deserialize_with = "NAME")]` (with `default` when optional).
#[macro_export]
macro_rules! bounded {
    ($vis:vis $name:ident: Option<$t:ty> = $bound:expr) => {
        $vis fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
            let value = <$t as serde::Deserialize>::deserialize(d)?;
            $bound
                .check(value)
                .map(Some)
                .map_err(serde::de::Error::custom)
        }
    };
    ($vis:vis $name:ident: $t:ty = $bound:expr) => {
        $vis fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
            let value = <$t as serde::Deserialize>::deserialize(d)?;
            $bound.check(value).map_err(serde::de::Error::custom)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEED: Bound<f64> = Bound::new(0.0, 10.0, "a speed");

    #[test]
    fn nan_and_infinities_are_out_of_every_range() {
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.5,
            10.5,
            1e300,
        ] {
            let err = SPEED.check(bad).unwrap_err();
            assert!(err.contains("expected a speed, 0 to 10"), "{err}");
        }
        assert_eq!(SPEED.check(0.0), Ok(0.0));
        assert_eq!(SPEED.check(10.0), Ok(10.0));
        assert!(
            SPEED
                .check(1e300)
                .unwrap_err()
                .starts_with("1e300 is out of range")
        );
        assert!(
            SPEED
                .check(-1e-9)
                .unwrap_err()
                .starts_with("-1e-9 is out of range")
        );
    }

    #[derive(serde::Deserialize, Debug)]
    struct File {
        #[serde(deserialize_with = "speed")]
        speed: f64,
        #[serde(default, deserialize_with = "speed_opt")]
        other: Option<f64>,
    }
    bounded!(speed: f64 = SPEED);
    bounded!(speed_opt: Option<f64> = SPEED);

    #[test]
    fn toml_errors_point_at_the_value() {
        let text = "speed = 1.0\nother = nan\n";
        let err = toml::from_str::<File>(text).unwrap_err();
        let at = err.span().unwrap().start;
        assert_eq!(crate::position::line_col(text, at), (2, 9));
        assert!(err.message().contains("NaN is out of range"), "{err}");
        let ok: File = toml::from_str("speed = 2.0\n").unwrap();
        assert_eq!((ok.speed, ok.other), (2.0, None));
    }
}
