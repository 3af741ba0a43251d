//! Reading TOML while keeping line numbers, so every complaint about a knowledge or config file can say
//! `file:line`. Built on `toml::de::DeTable`, which keeps the span of every key and value.

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Maps byte offsets of one text to 1-based line numbers.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.line(span.start)
    }
}

/// A parsed TOML document. Parse errors come back as `(line, message)`.
pub fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, (usize, String)> {
    DeTable::parse(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| Lines::new(text).line(s.start))
            .unwrap_or(1);
        let message = e.message().trim().to_string();
        (line, message)
    })
}

/// A table entry looked up by key.
pub fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// Keys of `table` that are not in `allowed`, with their spans.
pub fn unknown_keys<'a>(table: &'a DeTable<'_>, allowed: &[&str]) -> Vec<(&'a str, Range<usize>)> {
    table
        .iter()
        .filter(|(k, _)| !allowed.contains(&k.get_ref().as_ref()))
        .map(|(k, _)| (k.get_ref().as_ref(), k.span()))
        .collect()
}

/// A borrowed view of a value, for matching on arrays without naming toml's types elsewhere.
pub enum DeValueRef<'a, 'i> {
    Array(&'a [Spanned<DeValue<'i>>]),
    Other,
}

impl<'a, 'i> DeValueRef<'a, 'i> {
    pub fn of(value: &'a DeValue<'i>) -> Self {
        match value {
            DeValue::Array(items) => DeValueRef::Array(items),
            _ => DeValueRef::Other,
        }
    }
}

/// What went wrong reading one value: the expected type.
pub type TypeError = &'static str;

pub fn as_str<'a>(value: &'a DeValue<'_>) -> Result<&'a str, TypeError> {
    match value {
        DeValue::String(s) => Ok(s.as_ref()),
        _ => Err("a string"),
    }
}

pub fn as_string_list(value: &DeValue<'_>) -> Result<Vec<String>, TypeError> {
    let DeValue::Array(items) = value else {
        return Err("a list of strings");
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => Ok(Cow::as_ref(s).to_string()),
            _ => Err("a list of strings"),
        })
        .collect()
}

pub fn as_int(value: &DeValue<'_>) -> Result<i64, TypeError> {
    match value {
        DeValue::Integer(i) => {
            i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).map_err(|_| "an integer")
        }
        _ => Err("an integer"),
    }
}

pub fn as_float(value: &DeValue<'_>) -> Result<f64, TypeError> {
    match value {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().map_err(|_| "a number"),
        DeValue::Integer(_) => as_int(value).map(|i| i as f64),
        _ => Err("a number"),
    }
}

pub fn as_bool(value: &DeValue<'_>) -> Result<bool, TypeError> {
    match value {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err("true or false"),
    }
}

pub fn as_table<'a, 'i>(value: &'a DeValue<'i>) -> Result<&'a DeTable<'i>, TypeError> {
    match value {
        DeValue::Table(t) => Ok(t),
        _ => Err("a table"),
    }
}

/// The items of an array of tables (`[[entry]]`), each with its span.
pub fn as_table_list<'a, 'i>(
    value: &'a DeValue<'i>,
) -> Result<Vec<(&'a DeTable<'i>, Range<usize>)>, TypeError> {
    let DeValue::Array(items) = value else {
        return Err("a list of tables");
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(t) => Ok((t, item.span())),
            _ => Err("a list of tables"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let lines = Lines::new("a\nbb\nccc");
        assert_eq!(lines.line(0), 1);
        assert_eq!(lines.line(2), 2);
        assert_eq!(lines.line(3), 2);
        assert_eq!(lines.line(5), 3);
    }

    #[test]
    fn parse_error_names_line() {
        let err = parse("a = 1\nb = = 2\n").unwrap_err();
        assert_eq!(err.0, 2);
    }

    #[test]
    fn array_of_tables_keeps_spans() {
        let text = "[[entry]]\nid = \"a\"\n\n[[entry]]\nid = \"b\"\n";
        let doc = parse(text).unwrap();
        let lines = Lines::new(text);
        let list = as_table_list(get(doc.get_ref(), "entry").unwrap().get_ref()).unwrap();
        let ids: Vec<usize> = list
            .iter()
            .map(|(t, _)| lines.line_of(&get(t, "id").unwrap().span()))
            .collect();
        assert_eq!(ids, vec![2, 5]);
    }
}
