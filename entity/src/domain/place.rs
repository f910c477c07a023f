//! Where an event takes place, and the one line every surface writes it as.

use super::Country;

/// A venue and its address; every part may be left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub venue: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<Country>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Place {
    /// Nothing is known of it.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The place in one line, as the event's page, its emails, its calendar entry
    /// and its Google Calendar link all write it: "OISE, 252 Bloor St W, Toronto,
    /// ON, M5S 1V6, CA". Parts are trimmed; empty ones and repeats are left out (a
    /// venue named after its street is written once).
    pub fn line(&self) -> Option<String> {
        let parts = [
            self.venue.as_deref(),
            self.address.as_deref(),
            self.locality.as_deref(),
            self.region.as_deref(),
            self.postal_code.as_deref(),
            self.country.as_ref().map(AsRef::as_ref),
        ];
        let mut line: Vec<&str> = Vec::new();
        for part in parts.into_iter().flatten().map(str::trim) {
            if !part.is_empty() && !line.contains(&part) {
                line.push(part);
            }
        }
        (!line.is_empty()).then(|| line.join(", "))
    }

    /// Latitude and longitude, when both are known.
    pub fn geo(&self) -> Option<(f64, f64)> {
        self.latitude.zip(self.longitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_is_written_once_in_order() {
        let place = Place {
            venue: Some(" OISE ".into()),
            address: Some("252 Bloor St W".into()),
            locality: Some("Toronto".into()),
            region: Some("ON".into()),
            postal_code: Some("M5S 1V6".into()),
            country: Country::parse("ca").ok(),
            ..Place::default()
        };
        assert_eq!(
            place.line().as_deref(),
            Some("OISE, 252 Bloor St W, Toronto, ON, M5S 1V6, CA")
        );
        let repeated = Place {
            venue: Some("Caracas".into()),
            locality: Some("Caracas".into()),
            address: Some("  ".into()),
            ..Place::default()
        };
        assert_eq!(repeated.line().as_deref(), Some("Caracas"));
        assert_eq!(Place::default().line(), None);
    }
}
