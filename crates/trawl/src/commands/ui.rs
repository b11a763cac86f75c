//! `trawl ui`: the address of the web UI, with the API token in its fragment
//! (`http://127.0.0.1:PORT/#token=...`), for the `trawl serve` that owns the
//! data directory, or for a server started here exactly as `trawl serve`
//! starts it (`serve::serve_with`).
//!
//! The address is printed for the user at the terminal that asked for it;
//! it is never logged. `--open` does not put it on a command line (other
//! local users can read those in /proc): it writes a small redirect page,
//! `DATA_DIR/ui-open.html`, readable by its owner only like `api-token`, and
//! hands that file's path to `xdg-open`.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use anyhow::{Context, Result};
use trawl_api::ApiToken;

use super::serve;
use crate::cli::UiArgs;
use crate::datadir::DataDir;
use crate::output;
use crate::owner;

/// The redirect page `--open` writes into the data directory.
pub const OPEN_FILE: &str = "ui-open.html";

pub fn ui(data_dir: &DataDir, args: &UiArgs) -> Result<ExitCode> {
    let root = data_dir.root();
    if let Some(discovery) = owner::find_server(root)? {
        let token =
            ApiToken::load(&discovery.token_path).context("cannot read the server's api token")?;
        output::line(format!(
            "trawl serve (pid {}) runs this data directory; its web ui (the address holds the api token: keep it to yourself):",
            discovery.pid
        ));
        let address = ui_address(&discovery.address, &token);
        output::line(&address);
        if args.open {
            open(root, &address);
        }
        return Ok(ExitCode::SUCCESS);
    }
    serve::serve_with(data_dir, &args.serve, |ready| {
        let address = ui_address(ready.base_url, ready.token);
        output::line(
            "web ui (the address holds the api token: keep it to yourself; Ctrl-C stops the server):",
        );
        output::line(&address);
        if args.open {
            open(root, &address);
        }
    })
}

/// The UI's address that signs a browser in: the token goes in the
/// fragment, which browsers never send to the server.
pub fn ui_address(base_url: &str, token: &ApiToken) -> String {
    format!(
        "{}/#token={}",
        base_url.trim_end_matches('/'),
        token.secret()
    )
}

/// Writes the redirect page and opens it; says on stderr what happened.
fn open(root: &Path, address: &str) {
    let page = match write_open_page(root, address) {
        Ok(page) => page,
        Err(error) => {
            eprintln!(
                "cannot open the ui in a browser: {error:#}; open the address above yourself"
            );
            return;
        }
    };
    match launch(&page) {
        Ok(()) => eprintln!("opening the ui in your browser ({})", page.display()),
        Err(reason) => eprintln!(
            "cannot open a browser: {reason}; open the address above, or the file {} (it holds the address and is readable by you only)",
            page.display()
        ),
    }
}

/// `DATA_DIR/ui-open.html`: a page that sends the browser on to `address`
/// (mode 0600, rewritten each time: the port may have changed).
fn write_open_page(root: &Path, address: &str) -> Result<PathBuf> {
    let path = root.join(OPEN_FILE);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // `mode` only applies when the file is created: a page left readable by
    // others (copied, restored from a backup) is tightened before the
    // token goes in.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", path.display()))?;
    file.write_all(open_page(address).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The redirect page's HTML (no script: a meta refresh).
pub fn open_page(address: &str) -> String {
    let escaped = address
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={escaped}\">\
         <title>Trawl</title></head>\
         <body><p>Opening the Trawl UI…</p></body></html>\n"
    )
}

/// Hands `page` to xdg-open, if there is one and a graphical session.
fn launch(page: &Path) -> std::result::Result<(), String> {
    let graphical = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    if !graphical {
        return Err("no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)".to_owned());
    }
    let Some(opener) = find_on_path("xdg-open") else {
        return Err("xdg-open is not installed (Debian: apt-get install xdg-utils)".to_owned());
    };
    let mut child = std::process::Command::new(opener)
        .arg(page)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start xdg-open: {error}"))?;
    // Reaped in the background: xdg-open returns once the browser has it.
    std::thread::spawn(move || child.wait());
    Ok(())
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests;
