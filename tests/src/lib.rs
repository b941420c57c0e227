//! Helpers shared by the interoperability tests (finding Debian's Ice, free ports, ...).
