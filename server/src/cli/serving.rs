//! `tinjau serve` and `tinjau locate`.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn index_from_file(path: &std::path::Path) -> anyhow::Result<geo_rules::BoundaryIndex> {
    let (features, closed) = import::boundaries::read_boundary_files(path)?;
    for ring in &closed {
        eprintln!("{}: {ring}", path.display());
    }
    // Each feature is dropped as its region is made, so the file's polygons are not held twice.
    Ok(geo_rules::BoundaryIndex::build(
        features.into_iter().filter_map(|f| {
            geo_rules::RegionInput::from_geojson(f.kode, f.nama.unwrap_or_default(), &f.geometry)
        }),
    )?)
}

pub(super) fn locate(args: &LocateArgs, index: &geo_rules::BoundaryIndex) -> anyhow::Result<()> {
    let (name, bytes) = if args.points.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("reading standard input")?;
        ("standard input".to_owned(), bytes)
    } else {
        let bytes = std::fs::read(&args.points)
            .with_context(|| format!("reading {}", args.points.display()))?;
        (args.points.display().to_string(), bytes)
    };
    let options = geo_rules::PointFileOptions {
        claimed_property: args.claimed_property.clone(),
        accuracy_property: args.accuracy_property.clone(),
        config: geo_rules::LocateConfig {
            tolerance_m: args.tolerance_m,
            gap_distance_m: args.gap_distance_m,
        },
    };
    let annotated =
        geo_rules::annotate_points(&bytes, index, &options).with_context(|| name.clone())?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &annotated)?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}

pub(super) async fn serve(database_url: String, args: ServeArgs) -> anyhow::Result<()> {
    let mut settings = Settings::with_database_url(database_url);
    settings.bind = args.bind;
    settings.port = args.port;
    if let Some(dir) = args.storage.storage_dir.clone() {
        settings.storage_dir = dir;
    }
    settings.max_db_connections = args.max_db_connections;
    settings.request_timeout = Duration::from_secs(args.request_timeout_secs);
    settings.header_timeout = Duration::from_secs(args.header_timeout_secs);
    settings.upload_min_bytes_per_sec = args.upload_min_rate;
    settings.tus_expiry = Duration::from_hours(args.tus_expiry_hours);
    settings.photo_workers = args.photo_workers;
    settings.migrate = !args.no_migrate;
    settings.admin_token = args.admin_token;
    settings.metrics_token = args.metrics_token;
    settings.metrics_bind = args.metrics_bind;
    settings.openrosa_accept_bytes = args.openrosa_accept_bytes;
    settings.public_url = args.public_url;
    settings.basemap_url = args.basemap_url;
    if let Some(dir) = args.docs_dir {
        settings.docs_dir = dir;
    }
    settings.audit_key = args.audit_key;
    settings.audit_sequencer = !args.no_audit_sequencer;
    settings.survey_tahun = args.survey_tahun;
    settings.s3 = args.storage.s3();
    let app = Application::build(&settings).await?;
    tracing::info!(
        address = %format!("http://{}:{}", settings.bind, app.port()),
        database = %config::redact_url(&settings.database_url),
        storage = %settings.storage_dir.display(),
        "tinjau is serving"
    );
    app.run_until(shutdown_signal()).await
}
