//! A small element tree over quick-xml, with the line of every element: what the
//! CycloneDX XML reader walks. Untrusted input: depth and entity handling are bounded,
//! and nothing here panics.

use std::io::{self, BufRead, BufReader, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::collect::replay::{self, Text};

/// Deepest element nesting accepted; real SBOMs nest components a few levels deep.
const MAX_DEPTH: usize = 200;

/// One element: local name (namespace prefix dropped), attributes, text, children.
#[derive(Debug, Default)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Written with a namespace prefix (`ext:thing`): an extension element.
    pub prefixed: bool,
    /// Namespace URI declared on this element with `xmlns`, if any.
    pub namespace: Option<String>,
    /// Attributes by local name, normalized.
    pub attrs: Vec<(String, String)>,
    /// Text content (trimmed), entities and character references resolved.
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: u64,
}

impl Element {
    /// The attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The text of the first child named `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Parses `bytes` into the root element, handing the items of the root's lists named
/// in `lists` (`("components", "component")`) to `item` as each one ends, with its
/// index, instead of keeping them in the tree: a large SBOM is then never held as a
/// tree. Names are local names, as the CycloneDX mapping reads them; only the first
/// such list element is streamed (as the mapping reads only the first), and anything
/// else stays in the tree for the structure checks. `item` gets the root (its attributes and what has ended
/// so far), the list's name, the index and the item. The error names the line.
///
/// Only one well-formed document is read: a second root element, text or a reference
/// outside the root, and an encoding other than UTF-8 are errors, not content to skip
/// (another reader could take the second root, or decode the bytes differently).
pub fn parse_streaming<T: Text + ?Sized>(
    text: &T,
    lists: &[(&str, &str)],
    item: &mut dyn FnMut(&Element, &str, usize, Element),
) -> Result<Element, String> {
    let mut counts = vec![0usize; lists.len()];
    let mut hand_off = |stack: &[Element], el: Element| -> Option<Element> {
        let [root, list] = stack else {
            return Some(el);
        };
        let Some(k) = lists
            .iter()
            .position(|(l, i)| *l == list.name && *i == el.name)
        else {
            return Some(el);
        };
        // The same elements the mapping reads (`child`, `all`: by local name, so a
        // `<c:component>` in the CycloneDX namespace counts too): the first list, and
        // every item in it.
        let first_list = !root.children.iter().any(|c| c.name == list.name);
        if !first_list {
            return Some(el);
        }
        item(root, list.name.as_str(), counts[k], el);
        counts[k] += 1;
        None
    };
    let head = replay::head(text, 2).map_err(|e| e.to_string())?;
    if head.starts_with(&[0xFE, 0xFF]) || head.starts_with(&[0xFF, 0xFE]) {
        return Err("the document is UTF-16: vouch reads UTF-8 XML".into());
    }
    let pass = text.pass().map_err(|e| e.to_string())?;
    let mut reader =
        Reader::from_reader(CountingLines::new(BufReader::with_capacity(1 << 16, pass)));
    let mut buf = Vec::new();
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        buf.clear();
        // Every byte before the event has been consumed: its line is counted.
        let line = reader.get_ref().line();
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            // Where in the event the error is: counted on a pass of its own (an error
            // ends the parse, so this is paid once).
            let at = reader.error_position();
            let line = line_at(text, at).unwrap_or(line);
            match e {
                quick_xml::Error::Io(io) => io.to_string(),
                e => format!("line {line}: malformed XML: {e}"),
            }
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() >= MAX_DEPTH => {
                let _ = e;
                return Err(format!(
                    "line {}: elements nested deeper than {MAX_DEPTH}",
                    line
                ));
            }
            Event::Start(e) => {
                stack.push(element(&e, line)?);
            }
            Event::Empty(e) => {
                if let Some(el) = hand_off(&stack, element(&e, line)?) {
                    attach(&mut stack, &mut root, el)?;
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err("unbalanced end tag".into());
                };
                let trimmed = el.text.trim();
                if trimmed.len() != el.text.len() {
                    el.text = trimmed.to_string();
                }
                if let Some(el) = hand_off(&stack, el) {
                    attach(&mut stack, &mut root, el)?;
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(top) => top.text.push_str(&t.xml_content(XmlVersion::Explicit1_0)),
                None if t.as_ref().trim().is_empty() => {}
                None => {
                    return Err(format!("line {}: text outside the root element", line));
                }
            },
            Event::CData(t) => match stack.last_mut() {
                Some(top) => top.text.push_str(t.as_ref()),
                None => {
                    return Err(format!("line {}: CDATA outside the root element", line));
                }
            },
            Event::Decl(d) => {
                if let Some(encoding) = d.encoding() {
                    let encoding =
                        encoding.map_err(|e| format!("line {line}: XML declaration: {e}"))?;
                    let name: &str = &encoding;
                    if !name.eq_ignore_ascii_case("utf-8") && !name.eq_ignore_ascii_case("utf8") {
                        return Err(format!(
                            "line {line}: the XML declaration says encoding `{name}`; vouch reads UTF-8 XML (an SBOM read in another encoding could say something else)"
                        ));
                    }
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match r.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        // No DTD is read: any other entity is unknown, not expanded.
                        _ => {
                            return Err(format!("line {}: unknown entity reference", line));
                        }
                    },
                };
                match stack.last_mut() {
                    Some(top) => top.text.push(c),
                    None => {
                        return Err(format!(
                            "line {}: a reference outside the root element",
                            line
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                // A DTD could declare entities or default attributes another reader
                // would apply and vouch would not: an SBOM has none.
                return Err(format!(
                    "line {}: a DOCTYPE declaration: CycloneDX XML has none, and vouch reads no DTD",
                    line
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None if root.is_none() => *root = Some(el),
        None => {
            return Err(format!(
                "line {}: a second root element `<{}>`: a document has exactly one",
                el.line, el.name
            ));
        }
    }
    Ok(())
}

fn element(e: &BytesStart, line: u64) -> Result<Element, String> {
    let name = e.local_name().as_ref().to_string();
    let prefixed = e.name().prefix().is_some();
    let mut el = Element {
        name,
        prefixed,
        line,
        ..Default::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|err| format!("line {line}: malformed attribute: {err}"))?;
        let value = a
            .normalized_value(XmlVersion::Explicit1_0)
            .map_err(|err| format!("line {line}: attribute value: {err}"))?
            .into_owned();
        let key = a.key.as_ref();
        if key == "xmlns" {
            el.namespace = Some(value);
            continue;
        }
        if key.starts_with("xmlns:") {
            continue;
        }
        let local = a.key.local_name().as_ref().to_string();
        el.attrs.push((local, value));
    }
    Ok(el)
}

/// A buffered reader that counts the newlines of what its reader consumed: the line
/// of the next event, without keeping the text.
struct CountingLines<R> {
    inner: R,
    newlines: u64,
}

impl<R> CountingLines<R> {
    fn new(inner: R) -> Self {
        CountingLines { inner, newlines: 0 }
    }
    /// 1-based line of the next unconsumed byte.
    fn line(&self) -> u64 {
        self.newlines + 1
    }
}

impl<R: BufRead> Read for CountingLines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.inner.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingLines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        if let Ok(available) = self.inner.fill_buf() {
            let amount = amount.min(available.len());
            self.newlines += memchr::memchr_iter(b'\n', &available[..amount]).count() as u64;
        }
        self.inner.consume(amount);
    }
}

/// The 1-based line of byte `offset`, counted on a pass of its own.
fn line_at<T: Text + ?Sized>(text: &T, offset: u64) -> io::Result<u64> {
    let mut pass = BufReader::new(text.pass()?.take(offset));
    let mut newlines = 0u64;
    loop {
        let chunk = pass.fill_buf()?;
        if chunk.is_empty() {
            return Ok(newlines + 1);
        }
        newlines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        let n = chunk.len();
        pass.consume(n);
    }
}
