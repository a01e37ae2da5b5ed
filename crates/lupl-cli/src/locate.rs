//! Where a member sits in a JSON text: line and column of each value, by the
//! dotted path the API's error keys use (`name`, `fields[1].key`).

use std::collections::HashMap;

/// Positions (1-based line, column) of every value in `text`, by path.
pub fn positions(text: &str) -> HashMap<String, (usize, usize)> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        col: 1,
        out: HashMap::new(),
    };
    p.value(String::new());
    p.out
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    col: usize,
    out: HashMap<String, (usize, usize)>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        if let Some(b) = self.peek() {
            self.at += 1;
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.bump();
        }
    }

    fn string(&mut self) -> String {
        let start = self.at + 1;
        self.bump();
        while let Some(b) = self.peek() {
            if b == b'\\' {
                self.bump();
            } else if b == b'"' {
                break;
            }
            self.bump();
        }
        let raw = String::from_utf8_lossy(&self.bytes[start.min(self.at)..self.at]).into_owned();
        self.bump();
        serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or(raw)
    }

    fn value(&mut self, path: String) {
        self.ws();
        self.out
            .entry(path.clone())
            .or_insert((self.line, self.col));
        match self.peek() {
            Some(b'{') => {
                self.bump();
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {
                            let key = self.string();
                            self.ws();
                            if self.peek() == Some(b':') {
                                self.bump();
                            }
                            let child = if path.is_empty() {
                                key
                            } else {
                                format!("{path}.{key}")
                            };
                            self.value(child);
                            self.ws();
                            if self.peek() == Some(b',') {
                                self.bump();
                            }
                        }
                        Some(b'}') => {
                            self.bump();
                            return;
                        }
                        None => return,
                        Some(_) => self.bump(),
                    }
                }
            }
            Some(b'[') => {
                self.bump();
                let mut i = 0;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b']') => {
                            self.bump();
                            return;
                        }
                        None => return,
                        Some(b',') => self.bump(),
                        Some(_) => {
                            self.value(format!("{path}[{i}]"));
                            i += 1;
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.peek().is_some_and(|b| !b",]} \t\r\n".contains(&b)) {
                    self.bump();
                }
            }
            None => {}
        }
    }
}

/// The position of an error key in a file whose top level is what the key's
/// first segment names (`config.fields[0].key` in a configuration file is
/// `fields[0].key`), falling back to the nearest enclosing value.
pub fn find(
    positions: &HashMap<String, (usize, usize)>,
    key: &str,
    strip: &str,
) -> Option<(usize, usize)> {
    let key = key.strip_prefix("$.").unwrap_or(key);
    let mut path = key.strip_prefix(strip).unwrap_or(key).to_owned();
    loop {
        if let Some(p) = positions.get(&path) {
            return Some(*p);
        }
        let cut = path.rfind(['.', '['])?;
        path.truncate(cut);
    }
}
