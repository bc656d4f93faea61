//! Build tasks for pneumoscan.
//!
//! `cargo xtask dist [--out DIR] [--no-wasm-opt] [--quick]` builds the self-contained web
//! bundle: wasm in the size-optimised `wasm` profile, three times (`WASM_BUILDS`: the
//! first module, PNG and JPEG only, for SIMD 128 and for relaxed SIMD; the module with
//! every decoder, which the worker loads on first need) → wasm-bindgen (`--target web`, the library pinned to the
//! crate's exact version) → `wasm-opt` when it is installed → the `www/` files, the
//! model and its card → content-hashed names, references rewritten → the service
//! worker's precache list → precompressed `.gz` files.
//!
//! `cargo xtask serve [--release] [ARGS...]` answers on the server's address at once
//! (`placeholder`: a page that says what is being built and reloads itself), builds the
//! server, starts `pneumoscan serve --dist DIR ARGS...`, then builds the bundle into DIR:
//! the whole product locally. By default it is the quick build for a first run (the
//! server in the `serve` profile; one wasm build in the `wasm-fast` profile, no wasm-opt;
//! the bundle in `<target>/serve-dist`); `--release` builds what ships (`dist/`, release
//! server). xtask compiles none of the product itself: the model's NNEF form comes from
//! the built CLI (`pneumoscan nnef`), so the placeholder answers within a minute or two.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use sha2::{Digest, Sha256};

mod placeholder;

/// Files that keep their names: entry points that pages, bookmarks and the browser's
/// service-worker update check ask for by name. They are served `no-cache`.
const UNHASHED: &[&str] = &[
    "index.html",
    "sw.js",
    "embed.js",
    "embed-example.html",
    "manifest.webmanifest",
    "icon.svg",
];

/// Extensions of files whose text may reference other bundle files and that compress.
const TEXT: &[&str] = &["html", "js", "css", "json", "webmanifest", "svg"];

/// Binary files worth precompressing too.
const COMPRESS: &[&str] = &["wasm", "onnx", "tar"];

/// Output name of the wasm-bindgen glue (`pneumoscan.js`, `pneumoscan_bg.wasm`).
const GLUE: &str = "pneumoscan";

/// The builds of the library the bundle carries. The worker loads one of the first two
/// (`www/simd.js` picks it; the service worker precaches only that one) and the third
/// the first time a file is in a format only it reads (`src/sniff.rs`).
struct WasmBuild {
    /// Its file in the bundle.
    file: &'static str,
    /// Its wasm-bindgen glue in the bundle: a module of its own for the second module,
    /// since one glue module instance holds one WebAssembly instance.
    glue: &'static str,
    /// Built with the crate's `codecs` feature (every decoder) or without (PNG, JPEG).
    codecs: bool,
    /// The wasm32 target features it is compiled with.
    features: &'static str,
    /// binaryen's name for what it needs beyond plain SIMD, if anything.
    wasm_opt_feature: Option<&'static str>,
    /// Its own cargo target directory under the project's (`None`: the project's own):
    /// builds that differ only in RUSTFLAGS, which cargo does not keep apart, need their
    /// own; cargo keeps builds with different crate features apart itself.
    target_subdir: Option<&'static str>,
}

/// The first module for every browser with WebAssembly SIMD, and the same plus relaxed
/// SIMD, whose fused multiply-add tract's matmul kernels use (bench/RESULTS.md: how much
/// faster) where the engine has it (Chromium 114+, Firefox 145+...); then the module with
/// every decoder, SIMD 128 only (it runs everywhere the first does; rarely needed).
const WASM_BUILDS: [WasmBuild; 3] = [
    WasmBuild {
        file: "pneumoscan_bg.wasm",
        glue: "pneumoscan.js",
        codecs: false,
        features: "+simd128",
        wasm_opt_feature: None,
        target_subdir: None,
    },
    WasmBuild {
        file: "pneumoscan_relaxed_bg.wasm",
        glue: "pneumoscan.js",
        codecs: false,
        features: "+simd128,+relaxed-simd",
        wasm_opt_feature: Some("--enable-relaxed-simd"),
        target_subdir: Some("wasm-relaxed-simd"),
    },
    WasmBuild {
        file: "pneumoscan_full_bg.wasm",
        glue: "pneumoscan_full.js",
        codecs: true,
        features: "+simd128",
        wasm_opt_feature: None,
        target_subdir: None,
    },
];

/// Where `www/simd.js` takes each wasm file's size (filled in by [`dist`]).
const WASM_BYTES_PLACEHOLDER: &str = "{}; // __WASM_BYTES__";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("dist") => parse_dist(&args[1..]).and_then(|o| dist(&o).map(|_| ())),
        Some("serve") => serve(&args[1..]),
        _ => Err(
            "usage: cargo xtask dist [--out DIR] [--no-wasm-opt] [--quick] | cargo xtask serve [--release] [SERVE ARGS...]"
                .into(),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What `cargo xtask dist` was asked for.
struct DistOptions {
    out: PathBuf,
    wasm_opt: bool,
    /// The quick bundle of `cargo xtask serve` (and `dist --quick`): only the module
    /// with every decoder, SIMD 128, in the `wasm-fast` profile (no LTO, parallel
    /// codegen), which also stands in for the first module's files so the page's loader
    /// finds them. For local use, never shipped.
    quick: bool,
    /// The native binary that converts the model ([`model_for_the_browser`]); `None`:
    /// [`native_cli`].
    cli: Option<PathBuf>,
}

fn parse_dist(args: &[String]) -> Result<DistOptions> {
    let mut options = DistOptions {
        out: root().join("dist"),
        wasm_opt: true,
        quick: false,
        cli: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => options.out = args.next().ok_or("--out needs a directory")?.into(),
            "--no-wasm-opt" => options.wasm_opt = false,
            "--quick" => {
                options.quick = true;
                options.wasm_opt = false;
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(options)
}

/// The workspace root (the pneumoscan crate), found at run time: `cargo run` (the
/// `cargo xtask` alias) sets `CARGO_MANIFEST_DIR` to this checkout's `xtask/`. The
/// compile-time `env!` is not used: with a target directory shared between two clones,
/// cargo reuses the xtask binary built in the other clone, whose baked-in path would make
/// `cargo xtask dist` rebuild and rewrite that clone's `dist/`.
fn root() -> PathBuf {
    root_from(std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
}

/// [`root`] for a given `CARGO_MANIFEST_DIR`; without one, the current directory's
/// workspace (as `cargo locate-project --workspace` finds it).
fn root_from(manifest_dir: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = manifest_dir {
        return dir
            .parent()
            .expect("xtask lives in a subdirectory of the workspace")
            .to_path_buf();
    }
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .expect("runs cargo locate-project");
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    manifest
        .parent()
        .expect("the workspace manifest has a folder")
        .to_path_buf()
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

fn target_dir() -> Result<PathBuf> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata gave no target_directory".into())
}

/// Builds the bundle and returns the file names written.
fn dist(options: &DistOptions) -> Result<Vec<String>> {
    let mut files = BTreeMap::new();
    let builds: Vec<&WasmBuild> = if options.quick {
        WASM_BUILDS.iter().filter(|b| b.codecs).collect()
    } else {
        WASM_BUILDS.iter().collect()
    };
    let profile = if options.quick { "wasm-fast" } else { "wasm" };
    let modules = build_all(&builds, profile, options.wasm_opt, !options.quick)?;
    for (build, built) in builds.iter().zip(modules) {
        let (glue, module) = built?;
        // One glue file serves the builds that share it: they export the same API,
        // imports included.
        if let Some(other) = files.insert(build.glue.to_string(), glue.clone())
            && other != glue
        {
            return Err(format!(
                "wasm-bindgen wrote different {} glue for {}: the builds must export the same API",
                build.glue, build.file
            ));
        }
        files.insert(build.file.to_string(), module);
    }
    if options.quick {
        // The module with every decoder stands in for the first module's files (the
        // relaxed one too: the plain SIMD 128 build runs there, and data-wasm-simd then
        // says "relaxed" for it).
        let full = WASM_BUILDS
            .iter()
            .find(|b| b.codecs)
            .ok_or("no full build")?;
        let (glue, module) = (files[full.glue].clone(), files[full.file].clone());
        for build in WASM_BUILDS.iter().filter(|b| !b.codecs) {
            files.insert(build.glue.to_string(), glue.clone());
            files.insert(build.file.to_string(), module.clone());
        }
    }
    let cli = match &options.cli {
        Some(cli) => cli.clone(),
        None => native_cli()?,
    };
    let (card, nnef) = model_for_the_browser(&cli)?;
    files.insert("model.json".to_string(), card);
    files.insert(NNEF.to_string(), nnef);
    for entry in std::fs::read_dir(root().join("www")).map_err(|e| format!("www/: {e}"))? {
        let path = entry.map_err(|e| format!("www/: {e}"))?.path();
        if path.is_file() {
            let name = file_name(&path)?;
            if files.insert(name.clone(), read(&path)?).is_some() {
                return Err(format!("www/{name} clashes with a generated file"));
            }
        }
    }
    fill_wasm_bytes(&mut files)?;
    let bundle = hash_and_link(files)?;
    write_bundle(&options.out, &bundle, !options.quick)?;
    Ok(bundle.into_keys().collect())
}

/// The browser's model file: tract's NNEF form of `model/pneumonia.onnx`.
const NNEF: &str = "pneumonia.nnef.tar";

/// The bundle's model card and model, as `pneumoscan nnef` writes them: the NNEF form of
/// the ONNX model (the browser's wasm has no ONNX parser), named in the card's `nnef`
/// field with its digest and size, after checking that both forms give the same outputs.
/// The CLI does it so that xtask itself compiles none of the product (`cargo xtask serve`
/// answers before the product is compiled): `cli` is the native `pneumoscan` binary.
fn model_for_the_browser(cli: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let temp = std::env::temp_dir().join(format!("pneumoscan-nnef-{}", std::process::id()));
    run(Command::new(cli)
        .arg("--model")
        .arg(root().join("model/model.json"))
        .arg("nnef")
        .arg("--out")
        .arg(&temp))?;
    let files = (read(&temp.join("model.json"))?, read(&temp.join(NNEF))?);
    std::fs::remove_dir_all(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
    Ok(files)
}

/// The native `pneumoscan` binary that converts the model for [`dist`]: `PNEUMOSCAN_BIN`
/// when set (tests/run.sh passes the one `cargo test` built), otherwise a dev build.
fn native_cli() -> Result<PathBuf> {
    if let Some(binary) = std::env::var_os("PNEUMOSCAN_BIN") {
        return Ok(binary.into());
    }
    build_server("dev")
}

/// Builds the native `pneumoscan` binary (CLI and server) in `profile`; returns its path.
fn build_server(profile: &str) -> Result<PathBuf> {
    run(cargo().args([
        "build",
        "--profile",
        profile,
        "--features",
        "native",
        "--bin",
        "pneumoscan",
    ]))?;
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir()?.join(folder).join("pneumoscan"))
}

/// Writes each wasm file's size into `simd.js` (for the page's download progress), as
/// `./NAME` keys that [`hash_and_link`] then rewrites to the hashed names.
fn fill_wasm_bytes(files: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    let sizes: BTreeMap<String, usize> = files
        .iter()
        .filter(|(name, _)| extension(name) == "wasm")
        .map(|(name, bytes)| (format!("./{name}"), bytes.len()))
        .collect();
    let json = serde_json::to_string(&sizes).map_err(|e| e.to_string())?;
    let simd = files
        .get_mut("simd.js")
        .ok_or("www/simd.js is missing: the worker needs it")?;
    let text = String::from_utf8(std::mem::take(simd)).map_err(|_| "simd.js is not UTF-8")?;
    if !text.contains(WASM_BYTES_PLACEHOLDER) {
        return Err(format!(
            "simd.js must contain `const BYTES = {WASM_BYTES_PLACEHOLDER}`"
        ));
    }
    *simd = text
        .replacen(WASM_BYTES_PLACEHOLDER, &format!("{json};"), 1)
        .into_bytes();
    Ok(())
}

/// A module as the bundle carries it: the wasm-bindgen JS glue and the wasm.
type Module = (Vec<u8>, Vec<u8>);

/// Builds every module of `builds`: wasm32 build, wasm-bindgen, then wasm-opt when
/// `wasm_opt` and the brotli form ([`brotli_compress`]) when `brotli`; results in
/// `builds`' order. The builds that share a cargo target directory run one after another
/// (they write the same `pneumoscan.wasm`, and cargo locks the directory anyway), each
/// target directory's in a thread of its own, and each module's wasm-opt and brotli in a
/// thread of its own as soon as its build is done.
///
/// At once because one build leaves a core idle much of the time: its last crates and
/// its fat-LTO link run on one core, and so do much of wasm-opt and all of brotli.
/// tests/run.sh's `cargo xtask dist` step from an empty target directory on 2 cores:
/// 1,372 s with everything one after another (load average 1.4), 942 s at once.
fn build_all(
    builds: &[&WasmBuild],
    profile: &str,
    wasm_opt: bool,
    brotli: bool,
) -> Result<Vec<Result<Module>>> {
    // Cheap when the target is already there; a fresh machine has only the host target.
    if Command::new("rustup").arg("--version").output().is_ok() {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    // Installed once, before the threads start (two `npm ci` at once would collide).
    let wasm_opt = if wasm_opt { wasm_opt_tool() } else { None };
    let wasm_opt = wasm_opt.as_deref();
    let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (index, build) in builds.iter().enumerate() {
        groups.entry(build.target_subdir).or_default().push(index);
    }
    let mut built: Vec<Result<Module>> = builds
        .iter()
        .map(|_| Err("a wasm build did not run".into()))
        .collect();
    std::thread::scope(|scope| {
        let groups: Vec<_> = groups
            .into_values()
            .map(|indices| {
                scope.spawn(move || {
                    let optimising: Vec<_> = indices
                        .into_iter()
                        .map(|index| {
                            let build = builds[index];
                            let module =
                                build_wasm(build, profile).and_then(|wasm| bindgen(&wasm, build));
                            let optimised = scope.spawn(move || {
                                let (glue, mut wasm) = module?;
                                if let Some(tool) = wasm_opt {
                                    wasm = optimise(tool, wasm, build)?;
                                }
                                if brotli {
                                    brotli_compress(&wasm)?;
                                }
                                Ok((glue, wasm))
                            });
                            (index, optimised)
                        })
                        .collect();
                    optimising
                })
            })
            .collect();
        for group in groups {
            let optimising = group.join().map_err(|_| "a wasm build thread panicked")?;
            for (index, optimised) in optimising {
                built[index] = optimised.join().map_err(|_| "a wasm-opt thread panicked")?;
            }
        }
        Ok::<(), String>(())
    })?;
    Ok(built)
}

/// Builds the library for wasm32 with `build`'s target features in `profile` (Cargo.toml:
/// `wasm`, release optimised for size; `wasm-fast`, the same without LTO); returns the
/// .wasm path.
fn build_wasm(build: &WasmBuild, profile: &str) -> Result<PathBuf> {
    let mut target = target_dir()?;
    if let Some(subdir) = build.target_subdir {
        target = target.join(subdir);
    }
    run(cargo()
        .args([
            "build",
            "--profile",
            profile,
            "--lib",
            "--package",
            "pneumoscan",
        ])
        // Never the `onnx` feature: the browser loads the NNEF form.
        .arg("--no-default-features")
        .args(if build.codecs {
            &["--features", "codecs"][..]
        } else {
            &[][..]
        })
        .args(["--target", "wasm32-unknown-unknown"])
        .arg("--target-dir")
        .arg(&target)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            format!("-C target-feature={}", build.features),
        ))?;
    Ok(target.join(format!("wasm32-unknown-unknown/{profile}/pneumoscan.wasm")))
}

/// wasm-bindgen (`--target web`) of the wasm at `wasm`, read at once (the next build into
/// the same target directory overwrites it).
fn bindgen(wasm: &Path, build: &WasmBuild) -> Result<Module> {
    let temp = std::env::temp_dir().join(format!(
        "pneumoscan-bindgen-{}-{}",
        std::process::id(),
        build.file
    ));
    std::fs::create_dir_all(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(GLUE)
        .web(true)
        .map_err(|e| e.to_string())?
        .typescript(false)
        .generate(&temp)
        .map_err(|e| format!("wasm-bindgen: {e}"))?;
    let files = (
        read(&temp.join(format!("{GLUE}.js")))?,
        read(&temp.join(format!("{GLUE}_bg.wasm")))?,
    );
    std::fs::remove_dir_all(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
    Ok(files)
}

/// binaryen's `wasm-opt`, installed with npm on first use; `None` (said loudly) where it
/// cannot be installed: the wasm is then left unoptimised.
///
/// It comes from the npm package pinned in `xtask/package.json`: Debian's binaryen 108 is
/// too old for wasm-bindgen 0.2.130's output (the module it writes fails to instantiate).
fn wasm_opt_tool() -> Option<PathBuf> {
    let tools = root().join("xtask");
    let wasm_opt = tools.join("node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        let npm = run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&tools));
        if let Err(e) = npm {
            eprintln!(
                "xtask: *** wasm-opt skipped, the wasm is left unoptimised and larger: \
                 cannot install binaryen with npm ({e}) ***"
            );
            return None;
        }
    }
    Some(wasm_opt)
}

/// `wasm` through binaryen's `wasm-opt -Oz` ([`wasm_opt_tool`]), with `build`'s extra
/// feature. `-Oz` takes the gzipped wasm from 2.8 to 2.2 MB; see bench/RESULTS.md for
/// what it costs in speed.
fn optimise(wasm_opt: &Path, wasm: Vec<u8>, build: &WasmBuild) -> Result<Vec<u8>> {
    // wasm-opt takes minutes: reuse its output for the same input (same build; the
    // relaxed build's input differs from the other's).
    let digest = hex(&Sha256::digest(&wasm));
    let cache = target_dir()?
        .join("wasm-opt-cache")
        .join(format!("{digest}.wasm"));
    if cache.exists() {
        eprintln!("xtask: wasm-opt -Oz: reused {}", cache.display());
        return read(&cache);
    }
    let temp = std::env::temp_dir().join(format!(
        "pneumoscan-wasm-opt-{}-{digest}.wasm",
        std::process::id()
    ));
    write(&temp, &wasm)?;
    // The features rustc enables by default for wasm32-unknown-unknown, plus SIMD.
    let optimised = run(Command::new(wasm_opt)
        .args([
            "-Oz",
            "--enable-simd",
            "--enable-bulk-memory",
            "--enable-sign-ext",
        ])
        .args([
            "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int",
        ])
        .args(["--enable-multivalue", "--enable-reference-types"])
        .args(build.wasm_opt_feature)
        .arg(&temp)
        .arg("-o")
        .arg(&temp))
    .and_then(|()| read(&temp));
    std::fs::remove_file(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
    let optimised = optimised?;
    eprintln!(
        "xtask: wasm-opt -Oz {}: {} → {} bytes",
        build.file,
        wasm.len(),
        optimised.len()
    );
    write_cache(&cache, &optimised)?;
    Ok(optimised)
}

/// Gives every file not in [`UNHASHED`] a content-hashed name, rewriting `./NAME`
/// references in text files to the new names (dependencies first, so that a file's hash
/// covers the hashes of what it references), and fills in the service worker.
fn hash_and_link(mut files: BTreeMap<String, Vec<u8>>) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut pending: Vec<String> = files
        .keys()
        .filter(|name| !UNHASHED.contains(&name.as_str()))
        .cloned()
        .collect();
    while !pending.is_empty() {
        // A file is ready when every hashed file it references already has its name.
        let ready = pending.iter().position(|name| {
            references(name, &files[name], &pending)
                .iter()
                .all(|r| r == name)
        });
        let Some(index) = ready else {
            return Err(format!("circular references among {pending:?}"));
        };
        let name = pending.remove(index);
        let bytes = link(&name, files.remove(&name).unwrap_or_default(), &renamed)?;
        let hashed = hashed_name(&name, &bytes);
        renamed.insert(name, hashed.clone());
        out.insert(hashed, bytes);
    }
    let version = hex(&Sha256::digest(
        renamed.values().cloned().collect::<Vec<_>>().join(" "),
    ))[..12]
        .to_string();
    for (name, bytes) in files {
        let bytes = link(&name, bytes, &renamed)?;
        out.insert(name, bytes);
    }
    let precache: Vec<String> = std::iter::once("./".to_string())
        .chain(
            out.keys()
                .filter(|name| name.as_str() != "sw.js")
                .map(|name| format!("./{name}")),
        )
        .collect();
    let sw = out
        .get_mut("sw.js")
        .ok_or("www/sw.js is missing: the app needs its service worker")?;
    let text = String::from_utf8(std::mem::take(sw)).map_err(|_| "sw.js is not UTF-8")?;
    let list = serde_json::to_string(&precache).map_err(|e| e.to_string())?;
    let filled = text
        .replacen("\"__VERSION__\"", &format!("\"{version}\""), 1)
        .replacen("[\"__PRECACHE__\"]", &list, 1);
    if filled.contains("__VERSION__") || filled.contains("__PRECACHE__") {
        return Err(
            "sw.js must contain `const VERSION = \"__VERSION__\";` and `const PRECACHE = [\"__PRECACHE__\"];`"
                .into(),
        );
    }
    *sw = filled.into_bytes();
    Ok(out)
}

fn is_text(name: &str) -> bool {
    TEXT.contains(&extension(name))
}

fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, ext)| ext)
}

/// The names among `candidates` that `bytes` references as `./NAME`.
fn references(name: &str, bytes: &[u8], candidates: &[String]) -> Vec<String> {
    if !is_text(name) {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(bytes);
    candidates
        .iter()
        .filter(|c| find_reference(&text, c).is_some())
        .cloned()
        .collect()
}

/// Where `./NAME` occurs as a whole name (not followed by more of a file name).
fn find_reference(text: &str, name: &str) -> Option<usize> {
    let needle = format!("./{name}");
    text.match_indices(&needle).map(|(i, _)| i).find(|&i| {
        let after = text[i + needle.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    })
}

/// Rewrites every `./OLD` reference in a text file to `./NEW`.
fn link(name: &str, bytes: Vec<u8>, renamed: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    if !is_text(name) {
        return Ok(bytes);
    }
    let mut text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8"))?;
    for (old, new) in renamed {
        while let Some(i) = find_reference(&text, old) {
            text.replace_range(i + 2..i + 2 + old.len(), new);
        }
    }
    Ok(text.into_bytes())
}

/// `stem.HASH8.ext`: the first 8 hex digits of the content's SHA-256.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let hash = &hex(&Sha256::digest(bytes))[..8];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Replaces `out` with the bundle, adding `NAME.gz` (and with `brotli`, `NAME.br`) where
/// it makes a file smaller, and prints the sizes.
fn write_bundle(out: &Path, bundle: &BTreeMap<String, Vec<u8>>, brotli: bool) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "{:<40} {:>10} {:>10} {:>10}",
        "dist/", "bytes", "gzip", "brotli"
    );
    for (name, bytes) in bundle {
        write(&out.join(name), bytes)?;
        let (mut gz, mut br) = (String::from("-"), String::from("-"));
        if is_text(name) || COMPRESS.contains(&extension(name)) {
            let compressed = gzip(bytes)?;
            if compressed.len() < bytes.len() {
                gz = compressed.len().to_string();
                write(&out.join(format!("{name}.gz")), &compressed)?;
            }
            if brotli {
                let compressed = brotli_compress(bytes)?;
                if compressed.len() < bytes.len() {
                    br = compressed.len().to_string();
                    write(&out.join(format!("{name}.br")), &compressed)?;
                }
            }
        }
        println!("{name:<40} {:>10} {gz:>10} {br:>10}", bytes.len());
    }
    Ok(())
}

/// Brotli at its best quality (11) with a 16 MiB window: slow to write (seconds per
/// megabyte: 4 to 5 minutes for a bundle on 2 cores, most of it the wasm files), fast to
/// read, and what every browser accepts as `Content-Encoding: br`. Kept in the target
/// directory by content, like wasm-opt's output, so that an unchanged file is compressed
/// once; [`build_all`] fills it for each wasm module while the other builds go on.
fn brotli_compress(bytes: &[u8]) -> Result<Vec<u8>> {
    let cache = target_dir()?
        .join("brotli-cache")
        .join(format!("{}.br", hex(&Sha256::digest(bytes))));
    if cache.exists() {
        return read(&cache);
    }
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut std::io::Cursor::new(bytes), &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    write_cache(&cache, &out)?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    encoder.finish().map_err(|e| e.to_string())
}

fn serve(args: &[String]) -> Result<()> {
    let release = args.iter().any(|a| a == "--release");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--release").collect();
    let started = std::time::Instant::now();
    let elapsed = || {
        let s = started.elapsed().as_secs();
        format!("{}:{:02}", s / 60, s % 60)
    };
    // The quick run's server: the `serve` profile (Cargo.toml), which compiles in about
    // half the time of the test build's dev profile; it serves files and /predict.
    let (out, profile) = if release {
        (root().join("dist"), "release")
    } else {
        (target_dir()?.join("serve-dist"), "serve")
    };
    let stage = |step: &str| -> String {
        let line = format!("[{}] {step}", elapsed());
        eprintln!("xtask serve: {line}");
        line
    };
    let building_server = stage(&format!(
        "1/2 building the server (`{profile}` profile; {} from an empty target directory \
         on 2 cores, seconds when nothing changed)",
        if release {
            "about 12 min"
        } else {
            "about 3 min"
        },
    ));
    // Answers on the server's address at once; a port in use is the server's to report.
    let placeholder = placeholder::address(&args).and_then(|address| {
        match placeholder::Placeholder::start(address, &building_server) {
            Ok(p) => {
                eprintln!("xtask serve: http://{address}/ answers while it builds");
                Some(p)
            }
            Err(e) => {
                eprintln!("xtask serve: cannot listen on {address} yet ({e})");
                None
            }
        }
    });
    let built = build_server(profile);
    if let Some(placeholder) = placeholder {
        placeholder.stop();
    }
    let binary = built?;
    let building_app = stage(&format!(
        "the server is up; 2/2 building the web app ({}; {} from an empty target \
         directory, seconds when nothing changed)",
        if release {
            "every wasm build, fat LTO, wasm-opt: what `cargo xtask dist` ships"
        } else {
            "one quick wasm build; `cargo xtask serve --release` builds what ships"
        },
        if release {
            "about 25 min"
        } else {
            "about 3 min"
        },
    ));
    if !out.join("index.html").is_file() {
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        write(
            &out.join("index.html"),
            placeholder::page(&building_app).as_bytes(),
        )?;
    }
    let mut server = Command::new(&binary)
        .arg("serve")
        .arg("--dist")
        .arg(&out)
        .args(&args)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let built = dist(&DistOptions {
        out: out.clone(),
        wasm_opt: release,
        quick: !release,
        cli: Some(binary.clone()),
    });
    if let Err(e) = built {
        let _ = server.kill();
        return Err(e);
    }
    stage(&format!(
        "ready: the web app is built in {} and served (the page reloads itself); \
         Ctrl-C stops the server",
        out.display()
    ));
    let status = server
        .wait()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server stopped: {status}"))
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a file of one of xtask's caches (wasm-opt's and brotli's output, by the input's
/// digest) whole or not at all: written beside it, then renamed, so that an interrupted
/// build never leaves a truncated file that a later bundle would ship.
fn write_cache(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    write(&partial, bytes)?;
    std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{}: not a UTF-8 file name", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace comes from the run-time `CARGO_MANIFEST_DIR` (another clone's
    /// checkout when the binary is shared), never from where the binary was compiled.
    #[test]
    fn the_workspace_is_found_at_run_time() {
        let elsewhere = PathBuf::from("/some/other/clone/xtask");
        assert_eq!(
            root_from(Some(elsewhere)),
            PathBuf::from("/some/other/clone")
        );
        let here = root_from(None);
        assert!(
            here.join("Cargo.toml").is_file() && here.join("xtask").is_dir(),
            "{here:?}"
        );
        // And the binary's source never names its own compile-time path.
        let source = include_str!("main.rs");
        let baked = ["env!(", "\"CARGO_MANIFEST_DIR\")"].concat();
        assert!(
            !source.contains(&baked),
            "root() must not use the compile-time path"
        );
    }

    fn bundle(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn hashes_dependencies_first_and_rewrites_references() {
        let out = hash_and_link(bundle(&[
            ("index.html", r#"<script src="./app.js"></script>"#),
            (
                "app.js",
                r#"new Worker(new URL("./worker.js", import.meta.url))"#,
            ),
            (
                "worker.js",
                r#"fetch("./pneumonia.onnx"); fetch("./pneumonia.onnx.gz")"#,
            ),
            ("pneumonia.onnx", "weights"),
            (
                "sw.js",
                r#"const VERSION = "__VERSION__"; const PRECACHE = ["__PRECACHE__"];"#,
            ),
        ]))
        .expect("links");
        let names: Vec<&String> = out.keys().collect();
        let find = |prefix: &str| {
            names
                .iter()
                .find(|n| n.starts_with(prefix))
                .map(|n| n.to_string())
                .expect("present")
        };
        let (app, worker, onnx) = (find("app."), find("worker."), find("pneumonia."));
        assert!(app.len() == "app.12345678.js".len() && onnx.ends_with(".onnx"));
        let text = |n: &str| String::from_utf8(out[n].clone()).expect("utf-8");
        assert_eq!(
            text("index.html"),
            format!(r#"<script src="./{app}"></script>"#)
        );
        assert!(text(&app).contains(&format!("./{worker}")));
        // A longer name that merely starts with a bundle file's name is left alone.
        assert!(text(&worker).contains(&format!(
            r#"fetch("./{onnx}"); fetch("./pneumonia.onnx.gz")"#
        )));
        let sw = text("sw.js");
        assert!(!sw.contains("__"), "{sw}");
        assert!(sw.contains(&format!(r#""./{app}""#)) && sw.contains(r#""./index.html""#));
        assert!(!sw.contains(r#""./sw.js""#));
    }

    #[test]
    fn content_change_changes_the_name_of_everything_that_references_it() {
        let build = |weights: &str| {
            hash_and_link(bundle(&[
                ("app.js", r#"import "./worker.js";"#),
                ("worker.js", r#"fetch("./pneumonia.onnx")"#),
                ("pneumonia.onnx", weights),
                (
                    "sw.js",
                    r#"const VERSION = "__VERSION__"; const PRECACHE = ["__PRECACHE__"];"#,
                ),
            ]))
            .expect("links")
        };
        let (a, b) = (build("v1"), build("v2"));
        let app = |m: &BTreeMap<String, Vec<u8>>| {
            m.keys()
                .find(|n| n.starts_with("app."))
                .cloned()
                .expect("app")
        };
        assert_ne!(app(&a), app(&b));
        assert_ne!(
            a["sw.js"], b["sw.js"],
            "a new version must change the service worker"
        );
    }

    #[test]
    fn circular_references_are_an_error() {
        let err = hash_and_link(bundle(&[
            ("a.js", r#"import "./b.js";"#),
            ("b.js", r#"import "./a.js";"#),
            (
                "sw.js",
                r#"const VERSION = "__VERSION__"; const PRECACHE = ["__PRECACHE__"];"#,
            ),
        ]))
        .expect_err("cycle");
        assert!(err.contains("circular"), "{err}");
    }
}
