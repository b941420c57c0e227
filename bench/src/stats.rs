//! The small helpers the client shares with its JSON output: a flat JSON object writer and
//! nearest-rank percentiles, both matching the C++ anchor client.

/// A JSON object written field by field, in insertion order (what the anchor client prints).
#[derive(Debug, Default)]
pub struct Json {
    fields: Vec<(String, String)>,
}

impl Json {
    fn push(&mut self, key: &str, value: String) -> &mut Json {
        self.fields.push((key.to_owned(), value));
        self
    }

    /// Adds a string field.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Json {
        self.push(key, serde_json::Value::from(value).to_string())
    }

    /// Adds an integer field.
    pub fn int(&mut self, key: &str, value: u64) -> &mut Json {
        self.push(key, value.to_string())
    }

    /// Adds a number field (non-finite numbers become `null`).
    pub fn num(&mut self, key: &str, value: f64) -> &mut Json {
        let text = if value.is_finite() {
            format!("{}", (value * 1e4).round() / 1e4)
        } else {
            "null".to_owned()
        };
        self.push(key, text)
    }

    /// Adds a boolean field.
    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Json {
        self.push(key, value.to_string())
    }

    /// Adds a field whose value is already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Json {
        self.push(key, json.to_owned())
    }

    /// The object as one line.
    pub fn text(&self) -> String {
        let body: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

/// The `p`-th percentile (0..=100) of an ascending sample, by the anchor client's rule
/// (index `round(p/100 * (n-1))`); 0 for an empty sample.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = (p / 100.0 * (sorted.len() - 1) as f64 + 0.5) as usize;
    sorted
        .get(idx.min(sorted.len() - 1))
        .copied()
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_and_percentiles() {
        let mut j = Json::default();
        j.str("w", "a\"b")
            .int("n", 3)
            .num("x", 1.5)
            .boolean("ok", true);
        assert_eq!(j.text(), r#"{"w":"a\"b","n":3,"x":1.5,"ok":true}"#);
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&s, 50.0), 3.0);
        assert_eq!(percentile(&s, 100.0), 5.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
