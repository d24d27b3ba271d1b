//! `#[cfg(...)]` predicates as the source spells them, and what one crate
//! build had on.
//!
//! A predicate is kept as a tree ([`Pred`]) when the source is parsed; it
//! is decided later, once per crate build ([`Build`]), because the same file
//! is compiled with different cfgs in different builds: a workspace member
//! with a feature on beside one with it off, a library with `cfg(test)` in
//! its unit-test binary and without it under its integration tests.
//!
//! What a build had on is read from the module itself (docs/formats.md §5,
//! "Compiled-out code"): the target from its imports, `test` from the
//! harness `main` rustc generates, and every other name (features, custom
//! cfgs) from the items of that crate the module's DWARF declares: an item
//! that was compiled in proves every predicate around it. A name nothing
//! proves stays undecided, and an item under an undecided predicate is not
//! counted: the report never claims code the build may not have had.
//!
//! Refs: The Rust Reference, "Conditional compilation".

use std::collections::HashMap;

/// A cfg predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    /// A name (`test`, `unix`) or a name-value pair (`feature="serde"`), as
    /// written without white space.
    Name(String),
    Not(Box<Pred>),
    All(Vec<Pred>),
    Any(Vec<Pred>),
    /// What could not be read (a malformed cfg): never decided.
    Opaque,
}

/// Three-valued: held, did not hold, cannot be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn and(self, b: Truth) -> Truth {
        match (self, b) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, b: Truth) -> Truth {
        self.not().and(b.not()).not()
    }
}

impl Pred {
    /// The predicate that always holds.
    pub fn always() -> Pred {
        Pred::All(Vec::new())
    }

    /// All `#[cfg(...)]` of an item, and-ed; `#[test]` and `#[bench]`
    /// count as `#[cfg(test)]`, which is what they expand to outside a test
    /// build.
    pub fn of_attrs(attrs: &[syn::Attribute]) -> Pred {
        let all: Vec<Pred> = attrs
            .iter()
            .filter_map(|a| {
                let path = a.path();
                if path.is_ident("cfg") {
                    Some(
                        a.parse_args::<syn::Meta>()
                            .map_or(Pred::Opaque, |m| parse(&m)),
                    )
                } else if path.is_ident("test") || path.is_ident("bench") {
                    Some(Pred::Name("test".to_owned()))
                } else {
                    None
                }
            })
            .collect();
        Pred::and(all)
    }

    /// The conjunction of `preds`, flattened.
    pub fn and(preds: impl IntoIterator<Item = Pred>) -> Pred {
        let mut out = Vec::new();
        for p in preds {
            match p {
                Pred::All(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        if out.len() == 1 {
            out.pop().unwrap_or_else(Pred::always)
        } else {
            Pred::All(out)
        }
    }
}

fn parse(m: &syn::Meta) -> Pred {
    match m {
        syn::Meta::Path(p) => Pred::Name(path_text(p)),
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Pred::Name(format!("{}={:?}", path_text(&nv.path), s.value())),
            _ => Pred::Opaque,
        },
        syn::Meta::List(l) => {
            let args = l.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            );
            let Ok(args) = args else {
                return Pred::Opaque;
            };
            let mut args: Vec<Pred> = args.iter().map(parse).collect();
            match path_text(&l.path).as_str() {
                "all" => Pred::All(args),
                "any" => Pred::Any(args),
                "not" if args.len() == 1 => Pred::Not(Box::new(args.remove(0))),
                _ => Pred::Opaque,
            }
        }
    }
}

/// A path as written, segments joined by `::`, without generic arguments.
pub(crate) fn path_text(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The wasm target a module was built for, from its imports: what decides
/// the `target_*` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `wasm32-wasip1` (imports `wasi_snapshot_preview1`).
    WasiP1,
    /// A `wasm32-wasip2` component's code module (imports `wasi:` interfaces).
    WasiP2,
    /// `wasm32-unknown-unknown`.
    Unknown,
}

impl Target {
    /// From the imported functions, as `module::name`.
    pub fn of_imports<'a>(imports: impl IntoIterator<Item = &'a String>) -> Target {
        let mut target = Target::Unknown;
        for i in imports {
            if i.starts_with("wasi_snapshot_preview1::") {
                target = Target::WasiP1;
            } else if i.starts_with("wasi:") {
                return Target::WasiP2;
            }
        }
        target
    }

    /// What the target says of a name; `None` when it is not the target's.
    fn decides(self, name: &str) -> Option<bool> {
        let wasi = self != Target::Unknown;
        let (key, value) = match name.split_once('=') {
            Some((k, v)) => (k, v.trim_matches('"')),
            None => {
                return match name {
                    "unix" | "windows" | "miri" | "doc" | "doctest" => Some(false),
                    _ => None,
                }
            }
        };
        Some(match key {
            "target_arch" => value == "wasm32",
            "target_family" => value == "wasm",
            "target_os" => value == if wasi { "wasi" } else { "unknown" },
            "target_env" => {
                value
                    == match self {
                        Target::WasiP1 => "p1",
                        Target::WasiP2 => "p2",
                        Target::Unknown => "",
                    }
            }
            "target_vendor" => value == "unknown",
            "target_pointer_width" => value == "32",
            "target_endian" => value == "little",
            "panic" => value == "abort",
            _ => return None,
        })
    }
}

/// What one crate build had on, as far as the module shows it.
#[derive(Debug, Clone)]
pub struct Build {
    target: Target,
    /// Names proven on or off by items the build compiled in, and `test`.
    known: HashMap<String, bool>,
}

impl Build {
    /// A build for `target`, with `cfg(test)` on or off when that is known.
    pub fn new(target: Target, test: Option<bool>) -> Build {
        let mut known = HashMap::new();
        if let Some(t) = test {
            known.insert("test".to_owned(), t);
        }
        Build { target, known }
    }

    /// Records that `p` held in this build (an item under it was compiled
    /// in): each name it proves is learnt. A name proven on stays on.
    pub fn learn(&mut self, p: &Pred) {
        self.learn_as(p, true);
    }

    fn learn_as(&mut self, p: &Pred, held: bool) {
        match (p, held) {
            (Pred::Name(n), _) if self.target.decides(n).is_none() => {
                let slot = self.known.entry(n.clone()).or_insert(held);
                *slot |= held;
            }
            (Pred::Not(inner), _) => self.learn_as(inner, !held),
            (Pred::All(ps), true) | (Pred::Any(ps), false) => {
                for q in ps {
                    self.learn_as(q, held);
                }
            }
            // One of several held, or one of several did not: which is
            // not told.
            _ => {}
        }
    }

    /// Whether `p` held in this build.
    pub fn eval(&self, p: &Pred) -> Truth {
        match p {
            Pred::Name(n) => match self
                .target
                .decides(n)
                .or_else(|| self.known.get(n).copied())
                // cargo's test profile has them, unless an item proves not.
                .or_else(|| (n == "debug_assertions").then_some(true))
            {
                Some(true) => Truth::True,
                Some(false) => Truth::False,
                None => Truth::Unknown,
            },
            Pred::Not(inner) => self.eval(inner).not(),
            Pred::All(ps) => ps.iter().fold(Truth::True, |acc, q| acc.and(self.eval(q))),
            Pred::Any(ps) => ps.iter().fold(Truth::False, |acc, q| acc.or(self.eval(q))),
            Pred::Opaque => Truth::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(attr: &str) -> Pred {
        let item: syn::ItemFn = syn::parse_str(&format!("{attr} fn f() {{}}")).unwrap();
        Pred::of_attrs(&item.attrs)
    }

    #[test]
    fn the_target_decides_its_own_names() {
        let p1 = Build::new(Target::WasiP1, Some(false));
        let web = Build::new(Target::Unknown, Some(false));
        let wasi = pred(r#"#[cfg(target_os = "wasi")]"#);
        assert_eq!(p1.eval(&wasi), Truth::True);
        assert_eq!(web.eval(&wasi), Truth::False);
        assert_eq!(p1.eval(&pred("#[cfg(unix)]")), Truth::False);
        assert_eq!(
            p1.eval(&pred(
                r#"#[cfg(all(target_arch = "wasm32", not(windows)))]"#
            )),
            Truth::True
        );
        assert_eq!(
            Build::new(Target::WasiP2, None).eval(&pred(r#"#[cfg(target_env = "p2")]"#)),
            Truth::True
        );
    }

    #[test]
    fn a_feature_is_on_only_where_an_item_under_it_was_compiled_in() {
        let serde = pred(r#"#[cfg(feature = "serde")]"#);
        let mut on = Build::new(Target::WasiP1, Some(true));
        let off = Build::new(Target::WasiP1, Some(true));
        on.learn(&pred(r#"#[cfg(all(test, feature = "serde"))]"#));
        assert_eq!(on.eval(&serde), Truth::True);
        assert_eq!(off.eval(&serde), Truth::Unknown);
        assert_eq!(
            on.eval(&pred(r#"#[cfg(not(feature = "serde"))]"#)),
            Truth::False
        );
        // `any` proves none of its names.
        let mut any = Build::new(Target::WasiP1, None);
        any.learn(&pred(r#"#[cfg(any(feature = "a", feature = "b"))]"#));
        assert_eq!(any.eval(&pred(r#"#[cfg(feature = "a")]"#)), Truth::Unknown);
        // A `not` proves its name off.
        let mut not = Build::new(Target::WasiP1, None);
        not.learn(&pred(r#"#[cfg(not(feature = "std"))]"#));
        assert_eq!(not.eval(&pred(r#"#[cfg(feature = "std")]"#)), Truth::False);
        assert_eq!(
            not.eval(&pred(r#"#[cfg(not(feature = "std"))]"#)),
            Truth::True
        );
    }

    #[test]
    fn test_is_what_the_build_says() {
        let t = pred("#[cfg(test)]");
        assert_eq!(Build::new(Target::WasiP1, Some(true)).eval(&t), Truth::True);
        assert_eq!(
            Build::new(Target::WasiP1, Some(false)).eval(&t),
            Truth::False
        );
        assert_eq!(Build::new(Target::WasiP1, None).eval(&t), Truth::Unknown);
        // An item under cfg(test) that has DWARF proves it on.
        let mut b = Build::new(Target::WasiP1, Some(false));
        b.learn(&t);
        assert_eq!(b.eval(&t), Truth::True);
    }

    #[test]
    fn several_attributes_and_malformed_ones() {
        assert_eq!(pred("#[inline]"), Pred::always());
        assert_eq!(pred("#[test]"), Pred::Name("test".into()));
        let both = pred(r#"#[cfg(test)] #[cfg(feature = "x")]"#);
        assert_eq!(
            both,
            Pred::All(vec![
                Pred::Name("test".into()),
                Pred::Name(r#"feature="x""#.into())
            ])
        );
        let b = Build::new(Target::WasiP1, Some(true));
        assert_eq!(b.eval(&pred("#[cfg(foo(bar))]")), Truth::Unknown);
        assert_eq!(b.eval(&Pred::always()), Truth::True);
    }
}
