//! temporary probe
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use serde::Deserialize;
use toml::de::{DeTable, DeValue, Deserializer};
fn dump(v: &toml::Spanned<DeValue>, src: &str, indent: usize) {
    let s = v.span();
    match v.get_ref() {
        DeValue::Table(t) => {
            println!("{:indent$}table {:?} {:?}", "", s, &src[s.clone()].chars().take(30).collect::<String>());
            for (k, val) in t.iter() {
                println!("{:indent$} key {:?} {:?}", "", k.get_ref(), k.span());
                dump(val, src, indent + 2);
            }
        }
        DeValue::Array(a) => {
            println!("{:indent$}array {:?}", "", s);
            for val in a.iter() { dump(val, src, indent + 2); }
        }
        other => println!("{:indent$}{:?} {:?} {:?}", "", other.type_str(), s, &src[s.clone()]),
    }
}
fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    match DeTable::parse(&src) {
        Err(e) => println!("PARSE ERR {:?} {:?}", e.message(), e.span()),
        Ok(t) => {
            let span = t.span();
            let v = toml::Spanned::new(span, DeValue::Table(t.get_ref().clone()));
            dump(&v, &src, 0);
            match trawl_spec::Spec::deserialize(Deserializer::from(t)) {
                Ok(_) => println!("OK"),
                Err(e) => println!("DE ERR {:?} {:?} {:?}", e.message(), e.span(), e.span().map(|s| &src[s])),
            }
        }
    }
}
