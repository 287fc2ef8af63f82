//! Where the CPU and the memory went, read from `/proc`: what stands in the
//! way of a target the run does not meet, printed by the bench itself.
//!
//! A [`Snapshot`] before and after a level gives each thread of the server
//! its CPU time (grouped by thread name), the cores' busy time, PostgreSQL's
//! processes and this process (the load generator); nothing runs while the
//! level does. [`resident`] splits the server's resident memory by what is
//! mapped: the binary's pages, the C libraries, the app's own memory.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// CPU time of one thread (or process), from `/proc/…/schedstat` (ns on a
/// core, ns waiting for one), `/proc/…/stat` (user and kernel ticks) and
/// `/proc/…/status` (context switches, voluntary or not).
#[derive(Clone, Default)]
struct Times {
    name: String,
    run_ns: u64,
    wait_ns: u64,
    user_ticks: u64,
    kernel_ticks: u64,
    switches: u64,
}

impl Times {
    fn read(dir: &str) -> Option<Self> {
        let schedstat = std::fs::read_to_string(format!("{dir}/schedstat")).ok()?;
        let mut ns = schedstat.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
        let (run_ns, wait_ns) = (ns.next()?, ns.next()?);
        let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
        // The name is in parentheses and may hold spaces: fields follow the last ')'.
        let (head, rest) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are the 14th and 15th fields; `rest` starts at the 3rd.
        let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
        let switches = status
            .lines()
            .filter(|l| l.starts_with("voluntary_ctxt_switches:") || l.starts_with("nonvoluntary_ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        Some(Self { name, run_ns, wait_ns, user_ticks: ticks(14), kernel_ticks: ticks(15), switches })
    }

    /// What ran between `before` and `self` (a thread that started since
    /// counts whole).
    fn since(&self, before: Option<&Times>) -> Times {
        let before = before.cloned().unwrap_or_default();
        Times {
            name: self.name.clone(),
            run_ns: self.run_ns.saturating_sub(before.run_ns),
            wait_ns: self.wait_ns.saturating_sub(before.wait_ns),
            user_ticks: self.user_ticks.saturating_sub(before.user_ticks),
            kernel_ticks: self.kernel_ticks.saturating_sub(before.kernel_ticks),
            switches: self.switches.saturating_sub(before.switches),
        }
    }

    fn add(&mut self, other: &Times) {
        self.run_ns += other.run_ns;
        self.wait_ns += other.wait_ns;
        self.user_ticks += other.user_ticks;
        self.kernel_ticks += other.kernel_ticks;
        self.switches += other.switches;
    }
}

/// Every thread of a process, by thread id.
fn threads(pid: u32) -> BTreeMap<u32, Times> {
    let dir = format!("/proc/{pid}/task");
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let tid: u32 = entry.file_name().to_str()?.parse().ok()?;
            Some((tid, Times::read(&format!("{dir}/{tid}"))?))
        })
        .collect()
}

/// PostgreSQL's processes (the server, its backends), by process id.
fn postgres() -> BTreeMap<u32, Times> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let times = Times::read(&format!("/proc/{pid}"))?;
            (times.name == "postgres").then_some((pid, times))
        })
        .collect()
}

/// The machine's cores (all of them, whatever this process is pinned to).
pub fn machine_cores() -> usize {
    cores().len().max(1)
}

/// Busy and total jiffies of each core, from `/proc/stat`.
fn cores() -> Vec<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total - idle, total)
        })
        .collect()
}

/// The machine's CPU accounts at one moment.
pub struct Snapshot {
    at: Instant,
    server: BTreeMap<u32, Times>,
    postgres: BTreeMap<u32, Times>,
    generator: BTreeMap<u32, Times>,
    cores: Vec<(u64, u64)>,
}

impl Snapshot {
    /// The accounts now; `server_pid` is `None` before the server starts
    /// (all its time then counts).
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            server: server_pid.map(threads).unwrap_or_default(),
            postgres: postgres(),
            generator: threads(std::process::id()),
            cores: cores(),
        }
    }

    /// Where the CPU went since `before`, per unit of work (`unit`: what
    /// was done `count` times, "capture" or "post").
    pub fn since(&self, before: &Snapshot, unit: &'static str, count: usize) -> Profile {
        let delta = |now: &BTreeMap<u32, Times>, then: &BTreeMap<u32, Times>| -> Vec<Times> {
            now.iter().map(|(id, t)| t.since(then.get(id))).collect()
        };
        let mut groups: BTreeMap<String, (usize, Times, u64)> = BTreeMap::new();
        let mut server = Times::default();
        for t in delta(&self.server, &before.server) {
            server.add(&t);
            let group = groups.entry(t.name.clone()).or_default();
            group.0 += 1;
            group.1.add(&t);
            group.2 = group.2.max(t.run_ns);
        }
        let sum = |times: Vec<Times>| {
            let mut total = Times::default();
            times.iter().for_each(|t| total.add(t));
            total
        };
        let cores = self
            .cores
            .iter()
            .zip(&before.cores)
            .map(|((busy, total), (busy0, total0))| {
                (busy.saturating_sub(*busy0) as f64 / total.saturating_sub(*total0).max(1) as f64).min(1.0)
            })
            .collect();
        Profile {
            secs: self.at.duration_since(before.at).as_secs_f64(),
            unit,
            count: count.max(1),
            server,
            groups: groups.into_iter().map(|(name, (n, t, busiest))| (name, n, t, busiest)).collect(),
            postgres: sum(delta(&self.postgres, &before.postgres)),
            generator: sum(delta(&self.generator, &before.generator)),
            cores,
        }
    }
}

/// The CPU a run used, per unit of work.
pub struct Profile {
    secs: f64,
    unit: &'static str,
    count: usize,
    server: Times,
    /// Thread name, threads, their time, the busiest one's ns.
    groups: Vec<(String, usize, Times, u64)>,
    postgres: Times,
    generator: Times,
    /// Each core's busy share.
    cores: Vec<f64>,
}

impl Profile {
    fn us(&self, ns: u64) -> f64 {
        ns as f64 / 1000.0 / self.count as f64
    }

    /// µs of the server's CPU per unit.
    pub fn server_us(&self) -> f64 {
        self.us(self.server.run_ns)
    }

    /// The server's context switches per unit (all its threads, voluntary
    /// or not).
    pub fn server_switches(&self) -> f64 {
        self.server.switches as f64 / self.count as f64
    }

    /// µs of CPU per unit on the whole machine: the server, PostgreSQL
    /// and this process (the load generator and the fake Slack).
    pub fn machine_us(&self) -> f64 {
        self.us(self.server.run_ns + self.postgres.run_ns + self.generator.run_ns)
    }

    /// Prints the profile under a heading that says what ran (`what`).
    pub fn print(&self, what: &str) {
        let kernel = |t: &Times| {
            let ticks = t.user_ticks + t.kernel_ticks;
            if ticks == 0 {
                0.0
            } else {
                100.0 * t.kernel_ticks as f64 / ticks as f64
            }
        };
        let unit = self.unit;
        println!("  profile of {what} ({:.1} s, {} {unit}s), CPU per {unit}:", self.secs, self.count);
        println!(
            "    server {:>7.1} µs  ({:.0}% in the kernel; it waited {:.1} µs for its core)",
            self.server_us(),
            kernel(&self.server),
            self.us(self.server.wait_ns)
        );
        let mut groups: Vec<_> = self.groups.iter().filter(|g| self.us(g.2.run_ns) >= 0.1).collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.2.run_ns));
        for (name, n, t, busiest) in groups {
            println!(
                "      {name:<16} ×{n:<2} {:>7.1} µs  ({:.0}% kernel; busiest thread {:.1} µs)",
                self.us(t.run_ns),
                kernel(t),
                self.us(*busiest)
            );
        }
        if self.postgres.run_ns > 0 {
            println!(
                "    PostgreSQL {:>7.1} µs  ({:.0}% in the kernel; its processes, on any core)",
                self.us(self.postgres.run_ns),
                kernel(&self.postgres)
            );
        }
        println!(
            "    this process {:>7.1} µs  (the load generator and the fake Slack)",
            self.us(self.generator.run_ns)
        );
        let cores: Vec<String> =
            self.cores.iter().enumerate().map(|(i, b)| format!("core {i} {:.0}%", b * 100.0)).collect();
        println!(
            "    busy: {}; the server alone {:.0}% of a core",
            cores.join(", "),
            100.0 * self.server.run_ns as f64 / 1e9 / self.secs
        );
    }
}

/// Counts the system calls a process makes while it lives, with `perf stat`
/// on the `raw_syscalls:sys_enter` tracepoint; `None` where perf or the
/// tracepoint is missing (the rest of the profile does not need it).
pub struct Syscalls(Option<Child>);

impl Syscalls {
    /// Starts counting the calls of `pid` (every thread).
    pub fn count(pid: u32) -> Self {
        let child = Command::new("perf")
            .args(["stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok();
        Self(child)
    }

    /// Stops counting: the calls made since [`Syscalls::count`].
    pub fn stop(self) -> Option<u64> {
        let child = self.0?;
        // perf prints its count when interrupted.
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().ok()?;
        let out = child.wait_with_output().ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        text.lines()
            .find(|l| l.contains("raw_syscalls:sys_enter"))
            .and_then(|l| l.split(',').next()?.trim().parse().ok())
    }
}

/// The server's resident memory by what is mapped, in KiB: the binary's
/// pages, the shared libraries', and the rest (heap, stacks, the app's own).
pub fn resident(pid: u32) -> (u64, u64, u64) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let (mut binary, mut libraries, mut own) = (0, 0, 0);
    let mut path = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            path = fields.nth(4).unwrap_or_default().to_owned();
        } else if first == "Rss:" {
            let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            if std::path::Path::new(&path) == exe {
                binary += kib;
            } else if path.contains(".so") {
                libraries += kib;
            } else {
                own += kib;
            }
        }
    }
    (binary, libraries, own)
}
