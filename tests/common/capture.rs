//! A global `tracing` subscriber that records every event of the test process (level, target,
//! fields), read by one test at a time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One captured event: level, target and fields.
#[derive(Debug, Clone)]
pub struct Captured {
    pub level: String,
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

impl Captured {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// `LEVEL name=value …`, fields in name order.
    pub fn line(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{} {}", self.level, fields.join(" "))
    }
}

type Events = Arc<Mutex<Vec<Captured>>>;

/// Every event of the process, from one global subscriber installed on first use (a global one
/// sees events of every thread).
fn recorded() -> &'static Events {
    static EVENTS: OnceLock<Events> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events = Events::default();
        tracing::subscriber::set_global_default(Recorder(events.clone())).unwrap();
        events
    })
}

/// The events recorded since [`Capture::start`].
pub struct Capture {
    events: &'static Events,
    from: usize,
}

impl Capture {
    /// Records from now on, while the guard is held: tests of one binary that capture run one
    /// at a time.
    pub async fn start() -> (Self, tokio::sync::MutexGuard<'static, ()>) {
        static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let guard = ONE_AT_A_TIME.lock().await;
        let events = recorded();
        let from = events.lock().unwrap().len();
        (Self { events, from }, guard)
    }

    pub fn events(&self) -> Vec<Captured> {
        self.events.lock().unwrap()[self.from..].to_vec()
    }

    pub fn lines(&self) -> Vec<String> {
        self.events().iter().map(Captured::line).collect()
    }

    /// The events of one target emitted while `f` ran.
    pub async fn during<F: std::future::Future>(&self, target: &str, f: F) -> Vec<Captured> {
        let before = self.events.lock().unwrap().len();
        f.await;
        self.events.lock().unwrap()[before..]
            .iter()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
    }
}

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

struct Recorder(Events);

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(Captured {
            level: event.metadata().level().to_string(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
