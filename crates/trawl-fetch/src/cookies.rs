//! The fetcher's cookie store: the spec's fixed cookies plus a jar of the
//! cookies sites set.
//!
//! reqwest skips its cookie store when a request already has a `Cookie`
//! header, so fixed cookies cannot simply be a default header: sessions a
//! site starts would be lost. Instead this store answers with both. When a
//! site sets a cookie with the name of a fixed one, the site's newer value
//! wins for that site.

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;
use url::Url;

use crate::FetchError;

pub(crate) struct FetchCookieStore {
    /// Cookies sites set, scoped by domain and path as browsers do.
    jar: Jar,
    /// Names of the fixed cookies, to drop them when the jar has the same name.
    fixed_cookie_names: Vec<String>,
    /// `name=value; name2=value2`, built once.
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
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
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
            jar: Jar::default(),
            fixed_cookie_names: fixed_cookies.iter().map(|(name, _)| name.clone()).collect(),
            fixed_cookie_header,
        })
    }
}

impl CookieStore for FetchCookieStore {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.jar.set_cookies(cookie_headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let site_cookies = self.jar.cookies(url);
        let Some(fixed_cookies) = &self.fixed_cookie_header else {
            return site_cookies;
        };
        let Some(site_cookies) = site_cookies else {
            return Some(fixed_cookies.clone());
        };
        // Both: the site's cookies, then the fixed ones it did not override.
        let site_text = site_cookies.to_str().ok()?;
        let site_names: Vec<&str> = site_text
            .split(';')
            .filter_map(|pair| pair.split('=').next())
            .map(str::trim)
            .collect();
        let mut merged = site_text.to_owned();
        let fixed_text = fixed_cookies.to_str().ok()?;
        for (pair, name) in fixed_text.split("; ").zip(&self.fixed_cookie_names) {
            if !site_names.contains(&name.as_str()) {
                merged.push_str("; ");
                merged.push_str(pair);
            }
        }
        HeaderValue::from_str(&merged).ok()
    }
}

#[cfg(test)]
mod tests;
