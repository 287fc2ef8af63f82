//! The integration suite: one binary, the kit in `support/`, one file per area.

mod support;

mod areas;
mod browser;
mod cancellation;
mod capture;
mod customers;
mod digests;
mod evidence;
mod fairness;
mod follows;
mod interviews;
mod layers;
mod lifecycle;
mod manifest;
mod momentum;
mod oauth;
mod privacy;
mod process;
mod properties;
mod quotas;
mod readout;
mod reports;
mod search_index;
mod shipped;
mod slack_client;
mod socket_mode;
mod store;
mod testers;
mod topics;
mod transport;
mod trust;
mod web;
mod web_slack;
