//! Customers: who said it. A customer is known per workspace by a normalized
//! key, so "Acme", "acme inc." and "Acme Corp" are one customer (docs/design.md, Concepts).

pub mod brief;
pub mod import;
pub mod merge;
pub mod suggest;
pub mod view;
