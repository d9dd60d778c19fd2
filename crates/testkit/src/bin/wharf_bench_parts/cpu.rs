//! Where the machine's CPU went during a measured run: the CPU seconds of every thread of
//! Chromium (by process type and thread name), of the registry and of nginx, read from `/proc`
//! before and after. On this 2-core machine a bulk run's wall time is bounded by the CPU the
//! browser and the registry share, and a CPU profile of the page shows only its main thread.

use std::collections::BTreeMap;
use std::fs;

/// CPU ticks per (process kind, thread name) at one moment.
pub struct Snapshot(BTreeMap<String, u64>);

/// A Chromium process's kind from its command line (`--type=renderer`, a utility's sub-type).
fn chromium_kind(pid: &str) -> String {
    let line = fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " ");
    let arg = |prefix: &str| line.split(' ').find_map(|a| a.strip_prefix(prefix).map(str::to_string));
    arg("--utility-sub-type=")
        .map(|sub| sub.rsplit('.').next().unwrap_or_default().to_string())
        .or_else(|| arg("--type="))
        .unwrap_or_else(|| "browser".into())
}

/// `(name, utime + stime)` from a `/proc/…/stat` text.
fn name_and_ticks(stat: &str) -> Option<(String, u64)> {
    let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_string();
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    Some((name, fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?))
}

/// Reads every thread of the processes that take part in a run.
pub fn snapshot() -> Snapshot {
    let mut ticks = BTreeMap::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().to_string();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some((name, _)) = fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|s| name_and_ticks(&s))
        else {
            continue;
        };
        let kind = if name.starts_with("chrom") && name != "chromedriver" {
            format!("chromium {}", chromium_kind(&pid))
        } else if ["docker-registry", "nginx"].contains(&name.as_str()) {
            name
        } else {
            continue;
        };
        for thread in fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
            let stat = fs::read_to_string(thread.path().join("stat")).unwrap_or_default();
            if let Some((thread_name, t)) = name_and_ticks(&stat) {
                let key = if kind.starts_with("chromium") { format!("{kind}: {thread_name}") } else { kind.clone() };
                *ticks.entry(key).or_insert(0) += t;
            }
        }
    }
    Snapshot(ticks)
}

/// CPU seconds spent between two snapshots, by (process kind, thread name), largest first.
pub struct Spent(Vec<(String, f64)>);

impl Snapshot {
    /// What each spent from this snapshot until now; logged as one line naming `what`.
    pub fn spent(&self, what: &str, wall_s: f64) -> Spent {
        // Linux counts CPU time in ticks of 1/100 s (USER_HZ).
        let after = snapshot();
        let mut spent: Vec<(String, f64)> = after
            .0
            .iter()
            .map(|(key, t)| (key.clone(), t.saturating_sub(*self.0.get(key).unwrap_or(&0)) as f64 / 100.0))
            .collect();
        spent.sort_by(|a, b| b.1.total_cmp(&a.1));
        let spent = Spent(spent);
        // Every thread counts in the sums; the log names the ten that spent most.
        let parts: Vec<String> =
            spent.0.iter().filter(|(_, s)| *s >= 0.02).take(10).map(|(k, s)| format!("{k} {s:.2}")).collect();
        eprintln!("CPU during {what} ({wall_s:.2} s wall, {:.2} s CPU): {}", spent.total(), parts.join(", "));
        spent
    }
}

impl Spent {
    fn sum(&self, keep: impl Fn(&str) -> bool) -> f64 {
        self.0.iter().filter(|(k, _)| keep(k)).map(|(_, s)| s).sum()
    }

    /// Chromium's, the registry's and nginx's together.
    pub fn total(&self) -> f64 {
        self.sum(|_| true)
    }

    /// The registry's.
    pub fn registry(&self) -> f64 {
        self.sum(|k| k == "docker-registry")
    }

    /// Every Chromium process's.
    pub fn chromium(&self) -> f64 {
        self.sum(|k| k.starts_with("chromium"))
    }

    /// The page's main thread (a renderer's main thread carries the process's name).
    pub fn page_main_thread(&self) -> f64 {
        self.sum(|k| k == "chromium renderer: chromium")
    }
}
