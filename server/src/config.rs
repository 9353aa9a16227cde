//! Settings, layered: built-in defaults, then a TOML file, then environment variables,
//! then command-line flags (each wins over the one before).
//!
//! clap reads a flag and its environment variable together (the flag wins); what neither
//! gives is taken from the file, and what the file leaves out from [`Settings::default`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

/// Everything the server needs to start. Field docs double as `--help` text.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Database: `sqlite://PATH?mode=rwc` (embedded default) or `postgres://...`.
    pub database_url: String,
    /// Directory for the SQLite database file and attachments.
    pub data_dir: PathBuf,
    /// Directory of the web pages served at `/`.
    pub web_dir: PathBuf,
    /// Fill an empty database with realistic demo surveys.
    pub demo_data: bool,
    /// Largest request body accepted by ordinary endpoints, bytes.
    pub max_body_bytes: usize,
    /// Largest body accepted by the batch sync endpoint, bytes.
    pub max_batch_body_bytes: usize,
    /// Largest photo accepted as an attachment, bytes.
    pub max_attachment_bytes: usize,
    /// Connections in the database pool.
    pub db_max_connections: u32,
    /// Seconds a client has to send a request's headers (HTTP/1); a connection still
    /// sending them after this is closed, so slow-loris clients cannot hold sockets.
    pub header_read_timeout_secs: u64,
    /// Log format: `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// A font covering Chinese, for PNG charts (Debian's fonts-wqy-microhei by default).
    pub chart_font: PathBuf,
    /// The address phones and browsers reach the server at (`https://survey.example.cn`),
    /// which device-token links and their QR codes carry. Unset, the admin page falls back
    /// to the address its own browser used, and warns.
    pub public_url: Option<PublicUrl>,
}

/// An absolute `http://` or `https://` URL without credentials, query or fragment; kept
/// without a trailing slash so that a path appends to it (`{public_url}/collect/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "an absolute http:// or https:// URL such as https://survey.example.cn";
        let parsed = url::Url::parse(text.trim())
            .map_err(|err| format!("{text:?} is not {expected}: {err}"))?;
        let problem = if !matches!(parsed.scheme(), "http" | "https") {
            Some("its scheme is neither http nor https")
        } else if parsed.host_str().is_none_or(str::is_empty) {
            Some("it names no host")
        } else if !parsed.username().is_empty() || parsed.password().is_some() {
            Some("it carries credentials")
        } else if parsed.query().is_some() || parsed.fragment().is_some() {
            Some("it has a query or a fragment")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(format!("{text:?} is not {expected}: {problem}")),
            None => Ok(PublicUrl(parsed.as_str().trim_end_matches('/').to_owned())),
        }
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: String::new(),
            data_dir: PathBuf::from("./data"),
            web_dir: PathBuf::from("./web"),
            demo_data: false,
            max_body_bytes: 1024 * 1024,
            max_batch_body_bytes: 16 * 1024 * 1024,
            max_attachment_bytes: 10 * 1024 * 1024,
            db_max_connections: 16,
            header_read_timeout_secs: 10,
            log_format: LogFormat::Text,
            chart_font: PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
            public_url: None,
        }
    }
}

impl Settings {
    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("agriwaste.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// Where attachments are stored, content-addressed.
    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }
}

/// Flags shared by every command that touches the database. Each has an environment
/// variable, and each may instead be set in the TOML file under the same name
/// (`bind = "0.0.0.0:8080"`).
#[derive(Debug, Clone, Args, Default)]
pub struct SettingsArgs {
    /// TOML settings file; missing is fine when it is the default.
    #[arg(long, env = "AGRIWASTE_CONFIG", default_value = "agriwaste.toml")]
    pub config: PathBuf,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "AGRIWASTE_BIND")]
    pub bind: Option<SocketAddr>,
    /// Database URL [default: sqlite://DATA_DIR/agriwaste.db?mode=rwc].
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite file and attachments [default: ./data].
    #[arg(long, env = "AGRIWASTE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of the web pages [default: ./web].
    #[arg(long, env = "AGRIWASTE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Fill an empty database with demo surveys.
    #[arg(long, env = "AGRIWASTE_DEMO_DATA", num_args = 0..=1, default_missing_value = "true")]
    pub demo_data: Option<bool>,
    /// Largest request body for ordinary endpoints, bytes [default: 1048576].
    #[arg(long, env = "AGRIWASTE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest batch sync body, bytes [default: 16777216].
    #[arg(long, env = "AGRIWASTE_MAX_BATCH_BODY_BYTES")]
    pub max_batch_body_bytes: Option<usize>,
    /// Database pool size [default: 16].
    #[arg(long, env = "AGRIWASTE_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// Seconds to send a request's headers before the connection is closed [default: 10].
    #[arg(long, env = "AGRIWASTE_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Log format [default: text].
    #[arg(long, env = "AGRIWASTE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Font file covering Chinese, for PNG charts [default: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc].
    #[arg(long, env = "AGRIWASTE_CHART_FONT")]
    pub chart_font: Option<PathBuf>,
    /// Address phones reach the server at, for device-token links (an absolute http(s) URL,
    /// e.g. https://survey.example.cn) [default: unset; the admin page warns].
    #[arg(long, env = "AGRIWASTE_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,
}

impl SettingsArgs {
    /// Resolves the layers into settings.
    pub fn resolve(&self) -> anyhow::Result<Settings> {
        let mut settings = read_file(&self.config, self.config == Path::new("agriwaste.toml"))?;
        if let Some(bind) = self.bind {
            settings.bind = bind;
        }
        if let Some(url) = &self.database_url {
            settings.database_url = url.clone();
        }
        if let Some(dir) = &self.data_dir {
            settings.data_dir = dir.clone();
        }
        if let Some(dir) = &self.web_dir {
            settings.web_dir = dir.clone();
        }
        if let Some(demo) = self.demo_data {
            settings.demo_data = demo;
        }
        if let Some(bytes) = self.max_body_bytes {
            settings.max_body_bytes = bytes;
        }
        if let Some(bytes) = self.max_batch_body_bytes {
            settings.max_batch_body_bytes = bytes;
        }
        if let Some(connections) = self.db_max_connections {
            settings.db_max_connections = connections;
        }
        if let Some(seconds) = self.header_read_timeout_secs {
            settings.header_read_timeout_secs = seconds;
        }
        if let Some(format) = self.log_format {
            settings.log_format = format;
        }
        if let Some(font) = &self.chart_font {
            settings.chart_font = font.clone();
        }
        if let Some(url) = &self.public_url {
            settings.public_url = Some(url.clone());
        }
        Ok(settings)
    }
}

fn read_file(path: &Path, optional: bool) -> anyhow::Result<Settings> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("reading settings from {}", path.display())),
        Err(err) if optional && err.kind() == std::io::ErrorKind::NotFound => {
            Ok(Settings::default())
        }
        Err(err) => Err(err).with_context(|| format!("opening settings file {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("a.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\ndemo_data = true\ndata_dir = \"/var/lib/agriwaste\"\n",
        )?;
        let args = SettingsArgs {
            config: file,
            data_dir: Some(PathBuf::from("/tmp/x")),
            ..SettingsArgs::default()
        };
        let settings = args.resolve()?;
        assert_eq!(settings.bind.port(), 9000);
        assert!(settings.demo_data);
        assert_eq!(settings.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(
            settings.database_url(),
            "sqlite:///tmp/x/agriwaste.db?mode=rwc"
        );
        Ok(())
    }

    #[test]
    fn a_public_url_is_an_absolute_http_url_kept_without_its_trailing_slash() {
        let parse = |text: &str| text.parse::<PublicUrl>().map(|url| url.as_str().to_owned());
        assert_eq!(
            parse("https://survey.example.cn/"),
            Ok("https://survey.example.cn".to_owned())
        );
        assert_eq!(
            parse("http://10.0.0.5:8080/agriwaste/"),
            Ok("http://10.0.0.5:8080/agriwaste".to_owned())
        );
        for wrong in [
            "survey.example.cn",
            "/collect/",
            "ftp://survey.example.cn",
            "https://user:pw@survey.example.cn",
            "https://survey.example.cn/?a=1",
            "https://survey.example.cn/#x",
        ] {
            let err = parse(wrong).err().unwrap_or_default();
            assert!(
                err.contains("absolute http:// or https:// URL"),
                "{wrong}: {err}"
            );
        }
    }

    #[test]
    fn a_public_url_in_the_file_is_checked_too() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "public_url = \"https://survey.example.cn\"\n")?;
        let args = SettingsArgs {
            config: file.clone(),
            ..SettingsArgs::default()
        };
        assert_eq!(
            args.resolve()?
                .public_url
                .map(|url| url.as_str().to_owned()),
            Some("https://survey.example.cn".to_owned())
        );
        std::fs::write(&file, "public_url = \"survey.example.cn\"\n")?;
        let err = format!(
            "{:#}",
            args.resolve().err().unwrap_or_else(|| anyhow::anyhow!(""))
        );
        assert!(err.contains("absolute http:// or https:// URL"), "{err}");
        Ok(())
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "bnd = \"0.0.0.0:9000\"\n")?;
        let args = SettingsArgs {
            config: file,
            ..SettingsArgs::default()
        };
        assert!(args.resolve().is_err());
        Ok(())
    }

    #[test]
    fn a_missing_named_file_is_an_error_but_the_default_is_optional() {
        let missing = SettingsArgs {
            config: PathBuf::from("/nonexistent/x.toml"),
            ..SettingsArgs::default()
        };
        assert!(missing.resolve().is_err());
        let default = SettingsArgs {
            config: PathBuf::from("agriwaste.toml"),
            ..SettingsArgs::default()
        };
        assert!(default.resolve().is_ok());
    }
}
