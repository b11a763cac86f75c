//! The fetcher's cookie store: the spec's fixed cookies plus a jar of the
//! cookies sites set.
//!
//! The fetcher applies it to each request itself (every hop of a redirect
//! chain is a request of its own), with the `Url` it already has. reqwest's
//! cookie layer parsed every request's URL again, whether or not a store
//! was set, which cost about 0.8% of a crawl's instructions; so the client
//! is built without it, and the jar is `cookie_store`'s (the store reqwest's
//! own jar wraps). When a site sets a cookie with the name of a fixed one,
//! the site's newer value wins for that site.

use std::sync::{PoisonError, RwLock};

use cookie_store::{CookieStore, RawCookie};
use reqwest::header::HeaderValue;
use url::Url;

use crate::FetchError;

pub(crate) struct FetchCookieStore {
    /// Cookies sites set, scoped by domain and path as browsers do.
    jar: RwLock<CookieStore>,
    /// The spec's cookies, checked; left out for a site that set one of
    /// the same name.
    fixed_cookies: Vec<(String, String)>,
    /// `name=value; name2=value2` of the fixed cookies, built once for the
    /// requests to sites that set none.
    fixed_cookie_header: Option<HeaderValue>,
}

impl FetchCookieStore {
    pub(crate) fn new(fixed_cookies: &[(String, String)]) -> Result<FetchCookieStore, FetchError> {
        let mut header = String::new();
        for (name, value) in fixed_cookies {
            let is_token = |text: &str| {
                !text.is_empty()
                    && text.bytes().all(|byte| {
                        byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte)
                    })
            };
            if !is_token(name) {
                return Err(FetchError::InvalidConfig {
                    reason: format!("cookie name {name:?} is not a valid cookie name"),
                });
            }
            if value
                .bytes()
                .any(|byte| !byte.is_ascii_graphic() || matches!(byte, b'"' | b',' | b';' | b'\\'))
            {
                return Err(FetchError::InvalidConfig {
                    reason: format!("value of cookie {name:?} has characters a cookie cannot hold"),
                });
            }
            push_cookie(&mut header, name, value);
        }
        let fixed_cookie_header = if header.is_empty() {
            None
        } else {
            Some(
                HeaderValue::from_str(&header).map_err(|_| FetchError::InvalidConfig {
                    reason: "cookies do not form a valid cookie header".to_owned(),
                })?,
            )
        };
        Ok(FetchCookieStore {
            jar: RwLock::new(CookieStore::default()),
            fixed_cookies: fixed_cookies.to_vec(),
            fixed_cookie_header,
        })
    }
}

impl FetchCookieStore {
    /// Keeps the cookies of a response from `url` (its `Set-Cookie` values);
    /// values that are not cookies are ignored, as browsers ignore them.
    pub(crate) fn set_cookies<'a>(
        &self,
        cookie_headers: impl Iterator<Item = &'a HeaderValue>,
        url: &Url,
    ) {
        let mut cookies = cookie_headers
            .filter_map(|value| std::str::from_utf8(value.as_bytes()).ok())
            .filter_map(|text| RawCookie::parse(text.to_owned()).ok())
            .peekable();
        if cookies.peek().is_none() {
            return;
        }
        self.jar
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(cookies, url);
    }

    /// The `Cookie` header for a request to `url`, if any cookie applies:
    /// the site's cookies, then the fixed ones it did not override.
    pub(crate) fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let jar = self.jar.read().unwrap_or_else(PoisonError::into_inner);
        let mut header = String::new();
        let mut site_names = Vec::new();
        for (name, value) in jar.get_request_values(url) {
            push_cookie(&mut header, name, value);
            site_names.push(name);
        }
        if site_names.is_empty() {
            return self.fixed_cookie_header.clone();
        }
        for (name, value) in &self.fixed_cookies {
            if !site_names.contains(&name.as_str()) {
                push_cookie(&mut header, name, value);
            }
        }
        HeaderValue::from_str(&header).ok()
    }
}

/// Appends `name=value` to a `Cookie` header being built.
fn push_cookie(header: &mut String, name: &str, value: &str) {
    if !header.is_empty() {
        header.push_str("; ");
    }
    header.push_str(name);
    header.push('=');
    header.push_str(value);
}

#[cfg(test)]
mod tests;
