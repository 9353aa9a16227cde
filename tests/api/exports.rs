//! Exports and the command-line import: a round trip through an empty database gives
//! the same bytes; the files open in real readers (calamine, Python's csv module, a
//! GeoJSON structure check); exports keep to the caller's scope; an import with bad rows
//! stores the good ones and reports the bad ones; importing twice creates nothing.

use std::ffi::OsStr;
use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result, bail};
use calamine::{Data, Reader, Xlsx};
use e2e::{
    Backend, TestApp, client_with, field_array, field_i64, field_object, field_str,
    on_both_backends, straw_crops, synthetic_surveys,
};
use serde_json::{Value, json};

on_both_backends!(
    round_trip_through_an_empty_database_gives_identical_files,
    xlsx_opens_in_calamine_with_typed_cells,
    csv_opens_in_pythons_csv_module,
    geojson_is_a_feature_collection_of_points,
    exports_keep_to_the_callers_scope,
    import_reports_bad_rows_and_stores_the_good_ones,
    indicator_exports_carry_the_figures_of_the_indicators_endpoint,
    formula_like_text_is_neutralised_in_csv_kept_a_string_in_xlsx_and_round_trips,
);

/// Stores `surveys` through the sync endpoint, in order, and checks each was created.
async fn store(app: &TestApp, surveys: &[Value]) -> Result<()> {
    for chunk in surveys.chunks(400) {
        let (status, body) = app
            .post("/api/v1/surveys/batch", &json!({ "surveys": chunk }))
            .await?;
        if status != 200 {
            bail!("batch failed: {status} {body}");
        }
        for result in field_array(&body, "results") {
            if result["status"] != "created" {
                bail!("not created: {result}");
            }
        }
    }
    Ok(())
}

/// Synthetic surveys, the first with text that needs quoting in CSV.
fn surveys_with_awkward_text(count: usize) -> Vec<Value> {
    let mut surveys = synthetic_surveys(count);
    if let Some(first) = surveys.first_mut() {
        first["village"] = json!("第3村, \"东\"组\n二社");
        first["township"] = json!(" 前后有空格 ");
    }
    surveys
}

/// GETs an export with `client`; fails unless 200.
async fn download(client: &reqwest::Client, url: &str) -> Result<(String, Vec<u8>)> {
    let response = client.get(url).send().await?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("{url}: no readable content type"))?
        .to_owned();
    let bytes = response.bytes().await?.to_vec();
    if status != 200 {
        bail!("{url}: {status} {}", String::from_utf8_lossy(&bytes));
    }
    Ok((content_type, bytes))
}

fn arg(text: &str) -> &OsStr {
    OsStr::new(text)
}

/// Downloads `app`'s survey export in `format` and `lang` and imports the file into an
/// empty database on `backend`, checking that each of its `n` rows was created: the
/// exported bytes, the file, and the new database's server.
async fn import_into_an_empty_database(
    app: &TestApp,
    backend: Backend,
    (format, lang): (&str, &str),
    n: usize,
) -> Result<(Vec<u8>, std::path::PathBuf, TestApp)> {
    let (_, first) = download(
        &app.client,
        &app.url(&format!("/api/v1/exports/surveys.{format}?lang={lang}")),
    )
    .await?;
    let exported = app.dir().join(format!("first.{format}"));
    std::fs::write(&exported, &first)?;
    let empty = TestApp::spawn(backend).await?;
    let summary = empty.cli(&[arg("import"), exported.as_os_str()])?;
    assert!(
        summary.contains(&format!(
            "{n} rows: {n} created, 0 duplicate, 0 conflict, 0 invalid"
        )),
        "{format}: {summary}"
    );
    Ok((first, exported, empty))
}

/// `app`'s survey export in `format` and `lang`, made by the command line.
fn export_by_command_line(app: &TestApp, (format, lang): (&str, &str)) -> Result<Vec<u8>> {
    let second = app.dir().join(format!("second.{format}"));
    app.cli(&[
        arg("export"),
        arg("--format"),
        arg(format),
        arg("--lang"),
        arg(lang),
        arg("--out"),
        second.as_os_str(),
    ])?;
    Ok(std::fs::read(&second)?)
}

async fn round_trip_through_an_empty_database_gives_identical_files(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    // More than one storage page (1000), so paging is part of the trip.
    let surveys = surveys_with_awkward_text(1050);
    store(&app, &surveys).await?;
    let n = surveys.len();
    for (format, lang) in [("csv", "zh"), ("xlsx", "en"), ("ndjson", "en")] {
        let (first, exported, empty) =
            import_into_an_empty_database(&app, backend, (format, lang), n).await?;
        let again = empty.cli(&[arg("import"), exported.as_os_str()])?;
        assert!(
            again.contains(&format!(
                "{n} rows: 0 created, {n} duplicate, 0 conflict, 0 invalid"
            )),
            "{format}, second import: {again}"
        );
        assert_eq!(empty.all_surveys("").await?.len(), n, "{format}");

        let second = export_by_command_line(&empty, (format, lang))?;
        assert!(
            first == second,
            "{format}: the export of the imported surveys differs ({} vs {} bytes)",
            first.len(),
            second.len()
        );
    }
    Ok(())
}

/// The cell under `header` in a row, given the header row.
fn cell<'a>(header: &[Data], row: &'a [Data], name: &str) -> Result<&'a Data> {
    let index = header
        .iter()
        .position(|h| h == &Data::String(name.to_owned()))
        .with_context(|| format!("no column {name}"))?;
    row.get(index).context("short row")
}

async fn xlsx_opens_in_calamine_with_typed_cells(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(120);
    store(&app, &surveys).await?;
    let (content_type, bytes) = download(
        &app.client,
        &app.url("/api/v1/exports/surveys.xlsx?lang=en"),
    )
    .await?;
    assert_eq!(
        content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    assert_eq!(
        book.sheet_names(),
        [
            "surveys",
            "film",
            "pesticide_packaging",
            "straw",
            "yak_dung"
        ]
    );

    let sheet = book.worksheet_range("surveys")?;
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header = rows[0];
    assert_eq!(
        rows.len(),
        surveys.len() + 1,
        "a header and a row per survey"
    );
    for (row, survey) in rows[1..].iter().zip(&surveys) {
        assert_eq!(
            cell(header, row, "id")?,
            &Data::String(field_str(survey, "id").to_owned())
        );
        assert!(
            matches!(cell(header, row, "surveyed_on")?, Data::DateTime(_)),
            "surveyed_on is a date cell"
        );
        assert_eq!(
            cell(header, row, "weight")?,
            &Data::Float(survey["weight"].as_f64().unwrap_or(f64::NAN))
        );
        match survey["location"]["lat"].as_f64() {
            Some(lat) => assert_eq!(cell(header, row, "location.lat")?, &Data::Float(lat)),
            None => assert_eq!(cell(header, row, "location.lat")?, &Data::Empty),
        }
    }

    let by_id = |id: &Data| {
        surveys
            .iter()
            .find(|s| Data::String(field_str(s, "id").to_owned()) == *id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let film = book.worksheet_range("film")?;
    let rows: Vec<&[Data]> = film.rows().collect();
    let with_film = surveys.iter().filter(|s| !s["film"].is_null()).count();
    assert!(with_film > 0, "the fixture has film sections");
    assert_eq!(rows.len(), with_film + 1);
    for row in &rows[1..] {
        let survey = by_id(cell(rows[0], row, "survey_id")?);
        assert_eq!(
            cell(rows[0], row, "film.used_kg")?,
            &Data::Float(survey["film"]["used_kg"].as_f64().unwrap_or(f64::NAN)),
            "numbers are numeric cells"
        );
    }

    let packaging = book.worksheet_range("pesticide_packaging")?;
    let rows: Vec<&[Data]> = packaging.rows().collect();
    for row in &rows[1..] {
        let survey = by_id(cell(rows[0], row, "survey_id")?);
        let count = survey["pesticide_packaging"]["used_count"]
            .as_i64()
            .unwrap_or(-1);
        assert_eq!(
            cell(rows[0], row, "pesticide_packaging.used_count")?,
            &Data::Float(count as f64)
        );
    }

    let straw = book.worksheet_range("straw")?;
    let rows: Vec<&[Data]> = straw.rows().collect();
    let crops: usize = surveys.iter().map(|s| straw_crops(s).len()).sum();
    assert!(crops > 0, "the fixture has straw");
    assert_eq!(rows.len(), crops + 1, "one row per crop");
    let expected = surveys
        .iter()
        .flat_map(straw_crops)
        .map(|c| Data::String(field_str(c, "crop").to_owned()));
    for (row, crop) in rows[1..].iter().zip(expected) {
        assert_eq!(cell(rows[0], row, "straw.crop")?, &crop);
    }

    let yak = book.worksheet_range("yak_dung")?;
    let with_yak = surveys.iter().filter(|s| !s["yak_dung"].is_null()).count();
    assert_eq!(yak.rows().count(), with_yak + 1);

    // Chinese headers and sheet names on request.
    let (_, bytes) = download(
        &app.client,
        &app.url("/api/v1/exports/surveys.xlsx?lang=zh"),
    )
    .await?;
    let book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    assert_eq!(
        book.sheet_names(),
        ["调查", "地膜", "农药包装废弃物", "秸秆", "牦牛粪"]
    );
    Ok(())
}

async fn csv_opens_in_pythons_csv_module(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = surveys_with_awkward_text(40);
    store(&app, &surveys).await?;
    let (content_type, bytes) =
        download(&app.client, &app.url("/api/v1/exports/surveys.csv")).await?;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let path = app.dir().join("export.csv");
    std::fs::write(&path, &bytes)?;
    let checked = python_csv(&path)?;
    assert_eq!(checked["bom"], true, "UTF-8 byte order mark");
    assert_eq!(checked["crlf"], true, "CRLF line ends");
    assert_eq!(
        checked["header"][0], "调查编号",
        "Chinese headers by default"
    );
    assert_eq!(checked["header"][3], "村");
    assert_eq!(checked["rows"], surveys.len());
    let width = checked["header"].as_array().map_or(0, Vec::len);
    assert_eq!(
        checked["row_lengths"],
        json!([width]),
        "every row has every column"
    );
    let ids: Vec<&Value> = surveys.iter().map(|s| &s["id"]).collect();
    assert_eq!(
        checked["ids"]
            .as_array()
            .map(|a| a.iter().collect::<Vec<_>>()),
        Some(ids)
    );
    assert_eq!(
        checked["villages"][0], surveys[0]["village"],
        "quoting survives"
    );
    assert_eq!(
        checked["townships"][0], surveys[0]["township"],
        "spaces kept"
    );

    let (_, english) =
        download(&app.client, &app.url("/api/v1/exports/surveys.csv?lang=en")).await?;
    let path = app.dir().join("export-en.csv");
    std::fs::write(&path, &english)?;
    assert_eq!(python_csv(&path)?["header"][0], "id");
    Ok(())
}

fn python_csv(path: &Path) -> Result<Value> {
    let script = e2e::repo_root().join("tests/scripts/check_csv.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .context("running python3")?;
    if !output.status.success() {
        bail!(
            "check_csv.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

async fn geojson_is_a_feature_collection_of_points(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(150);
    store(&app, &surveys).await?;
    let located: Vec<&Value> = surveys
        .iter()
        .filter(|s| !s["location"].is_null())
        .collect();
    let without = surveys.len() - located.len();
    assert!(
        without > 0 && !located.is_empty(),
        "the fixture has both kinds"
    );
    let (content_type, bytes) =
        download(&app.client, &app.url("/api/v1/exports/surveys.geojson")).await?;
    assert_eq!(content_type, "application/geo+json");
    let collection: Value = serde_json::from_slice(&bytes)?;
    // RFC 7946 §3.3: a FeatureCollection has a "features" array of Features.
    assert_eq!(collection["type"], "FeatureCollection");
    assert_eq!(collection["skipped_without_location"], without);
    let features = collection["features"].as_array().context("features")?;
    assert_eq!(features.len(), located.len());
    for (feature, survey) in features.iter().zip(&located) {
        // §3.2: type, geometry, properties (an object or null); an id is a string or number.
        assert_eq!(feature["type"], "Feature");
        assert!(feature["properties"].is_object());
        assert_eq!(feature["id"], survey["id"]);
        assert_eq!(feature["properties"]["county_code"], survey["county_code"]);
        assert_eq!(feature["properties"]["review_state"], "received");
        // §3.1.2 and §3.1.1: a Point's coordinates are one position, [longitude, latitude].
        let geometry = &feature["geometry"];
        assert_eq!(geometry["type"], "Point");
        let position = geometry["coordinates"].as_array().context("coordinates")?;
        assert_eq!(position.len(), 2);
        let (lon, lat) = (
            position[0].as_f64().context("lon")?,
            position[1].as_f64().context("lat")?,
        );
        assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
        assert_eq!(lon, survey["location"]["lon"].as_f64().unwrap_or(f64::NAN));
        assert_eq!(lat, survey["location"]["lat"].as_f64().unwrap_or(f64::NAN));
        assert!(
            feature["properties"].get("attachments").is_none(),
            "photos only when asked for"
        );
    }

    // With include_attachments, each feature lists its photos with a URL that works.
    let photographed = field_str(located[0], "id");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png.to_vec())
            .file_name("p.png")
            .mime_str("image/png")?,
    );
    let response = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{photographed}/attachments")))
        .multipart(form)
        .send()
        .await?;
    assert_eq!(response.status(), 201);
    let (_, bytes) = download(
        &app.client,
        &app.url("/api/v1/exports/surveys.geojson?include_attachments=true"),
    )
    .await?;
    let collection: Value = serde_json::from_slice(&bytes)?;
    let features = collection["features"].as_array().context("features")?;
    let photos = &features[0]["properties"]["attachments"];
    assert_eq!(photos.as_array().map(Vec::len), Some(1), "{photos}");
    assert_eq!(photos[0]["content_type"], "image/png");
    assert_eq!(photos[0]["size_bytes"], png.len());
    let url = field_str(&photos[0], "url");
    let fetched = app.client.get(app.url(url)).send().await?;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await?.as_ref(), png);
    assert_eq!(features[1]["properties"]["attachments"], json!([]));
    Ok(())
}

async fn exports_keep_to_the_callers_scope(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(120);
    store(&app, &surveys).await?;
    let in_qinghai = |s: &&Value| {
        s["county_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("63"))
    };
    let qinghai = surveys.iter().filter(in_qinghai).count();
    let ali = surveys
        .iter()
        .filter(|s| {
            s["county_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("5425"))
        })
        .count();
    assert!(qinghai > 0 && ali > 0, "the fixture covers both provinces");
    let (status, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "qinghai", "scope_code": "630000"}),
        )
        .await?;
    assert_eq!(status, 201, "{key}");
    let client = client_with(&[("x-api-key", field_str(&key, "secret"))])?;

    let (_, bytes) = download(&client, &app.url("/api/v1/exports/surveys.ndjson")).await?;
    let lines: Vec<Value> = String::from_utf8(bytes)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), qinghai);
    assert!(
        lines.iter().all(|s| in_qinghai(&s)),
        "nothing from outside 630000"
    );

    // Asking for Ali explicitly finds nothing rather than widening the scope.
    let (_, bytes) = download(
        &client,
        &app.url("/api/v1/exports/surveys.ndjson?region=542500"),
    )
    .await?;
    assert!(bytes.is_empty(), "no 542500 survey for a 630000 key");
    let (_, bytes) = download(&client, &app.url("/api/v1/exports/surveys.csv?lang=en")).await?;
    let rows = String::from_utf8(bytes)?.matches("\r\n").count();
    assert_eq!(rows, qinghai + 1, "header and the key's surveys only");

    // The filters of listSurveys apply.
    let year = surveys[0]["surveyed_on"].as_str().unwrap_or("2025")[..4].to_owned();
    let county = field_str(&surveys[0], "county_code");
    let expected = surveys
        .iter()
        .filter(|s| {
            s["county_code"] == county
                && s["surveyed_on"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&year))
        })
        .count();
    let (_, bytes) = download(
        &app.client,
        &app.url(&format!(
            "/api/v1/exports/surveys.ndjson?region={county}&year={year}"
        )),
    )
    .await?;
    assert_eq!(String::from_utf8(bytes)?.lines().count(), expected);
    let response = app
        .client
        .get(app.url("/api/v1/exports/surveys.csv?region=999999"))
        .send()
        .await?;
    assert_eq!(
        response.status(),
        400,
        "an unknown region is refused before streaming"
    );
    Ok(())
}

/// Replaces the value of `column` in CSV data line `line` (1 = the first survey). The
/// fixture's text needs no quoting, so splitting on commas is exact.
fn edit_csv(text: &str, line: usize, column: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].trim_start_matches('\u{feff}').split(',').collect();
    let index = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or(usize::MAX);
    let mut fields: Vec<String> = lines[line].split(',').map(str::to_owned).collect();
    if let Some(field) = fields.get_mut(index) {
        *field = value.to_owned();
    }
    lines[line] = fields.join(",");
    lines.join("\r\n")
}

async fn import_reports_bad_rows_and_stores_the_good_ones(backend: Backend) -> Result<()> {
    let source = TestApp::spawn(backend).await?;
    let surveys = synthetic_surveys(20);
    store(&source, &surveys).await?;
    let (_, bytes) = download(
        &source.client,
        &source.url("/api/v1/exports/surveys.csv?lang=en"),
    )
    .await?;
    let mut text = String::from_utf8(bytes)?;
    text = edit_csv(&text, 2, "film.used_kg", "abc");
    text = edit_csv(&text, 3, "county_code", "999999");
    text = edit_csv(&text, 4, "id", "not-a-uuid");
    // A row re-saved in GBK, as Excel does on a Chinese-locale Windows machine.
    text = edit_csv(&text, 5, "village", "@GBK@");
    let bytes = text.replace("@GBK@", "\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes
        .iter()
        .flat_map(|b| if *b == 1 { vec![0xC4, 0xE3] } else { vec![*b] })
        .collect();
    let target = TestApp::spawn(backend).await?;
    let file = target.dir().join("with-errors.csv");
    std::fs::write(&file, &bytes)?;

    let (summary, progress) = target.cli_with_stderr(&[arg("import"), file.as_os_str()])?;
    assert!(
        summary.contains("20 rows: 16 created, 0 duplicate, 0 conflict, 4 invalid"),
        "{summary}"
    );
    // Not a terminal: plain progress lines instead of a bar.
    assert!(
        progress.contains("import: 20 rows: 16 created"),
        "{progress}"
    );
    assert_eq!(target.all_surveys("").await?.len(), 16);
    let report = std::fs::read(target.dir().join("with-errors.csv.errors.csv"))?;
    assert!(report.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(&report[3..]);
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = record?;
        problems.push((
            record[0].to_owned(),
            record[2].to_owned(),
            record[3].to_owned(),
        ));
        assert!(
            !record[4].is_empty() && !record[5].is_empty(),
            "messages in zh and en"
        );
    }
    // Line 1 is the header, so data line k is row k + 1, as a spreadsheet numbers it.
    for expected in [
        ("3", "film.used_kg", "invalid_value"),
        ("4", "county_code", "unknown_county"),
        ("5", "id", "invalid_value"),
        ("6", "", "invalid_value"),
    ] {
        assert!(
            problems
                .iter()
                .any(|(row, path, code)| (row.as_str(), path.as_str(), code.as_str()) == expected),
            "{expected:?} not in {problems:?}"
        );
    }

    // The same file again: nothing new, the same four rows refused.
    let again = target.cli(&[arg("import"), file.as_os_str()])?;
    assert!(
        again.contains("20 rows: 0 created, 16 duplicate, 0 conflict, 4 invalid"),
        "{again}"
    );
    assert_eq!(target.all_surveys("").await?.len(), 16);

    // A stored survey with other content is a conflict, not an overwrite (the GBK row,
    // now decoded lossily, is valid and new).
    let changed = edit_csv(
        &String::from_utf8_lossy(&std::fs::read(&file)?),
        1,
        "household",
        "HH-changed",
    );
    let conflicting = target.dir().join("conflicting.csv");
    std::fs::write(&conflicting, changed)?;
    let summary = target.cli(&[arg("import"), conflicting.as_os_str()])?;
    assert!(
        summary.contains("20 rows: 1 created, 15 duplicate, 1 conflict, 3 invalid"),
        "{summary}"
    );
    let report = String::from_utf8(std::fs::read(
        target.dir().join("conflicting.csv.errors.csv"),
    )?)?;
    assert!(report.contains(",conflict,"), "{report}");
    let first = field_str(&surveys[0], "id");
    let (_, stored) = target.get(&format!("/api/v1/surveys/{first}")).await?;
    assert_eq!(stored["survey"]["household"], surveys[0]["household"]);
    Ok(())
}

/// The indicator files hold exactly what `/indicators` says for the same parameters: the
/// CSV (BOM, CRLF, parsed with the `csv` crate), the workbook (numbers as numeric cells)
/// and NDJSON.
async fn indicator_exports_carry_the_figures_of_the_indicators_endpoint(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    store(&app, &synthetic_surveys(200)).await?;
    let query = "level=county&from=2024&to=2025";
    let (status, api) = app.get(&format!("/api/v1/indicators?{query}")).await?;
    assert_eq!(status, 200);
    // (region, year, indicator) → (rate, n, numerator) from the JSON.
    let mut expected = std::collections::BTreeMap::new();
    for group in field_array(&api, "groups") {
        for (key, estimate) in field_object(group, "indicators") {
            expected.insert(
                (
                    field_str(group, "region_code").to_owned(),
                    field_i64(group, "year"),
                    key.clone(),
                ),
                (
                    estimate["rate"].as_f64(),
                    estimate["n"].as_u64(),
                    estimate["numerator"].as_f64(),
                ),
            );
        }
    }
    assert!(expected.len() > 10, "the fixture has groups: {api}");

    let (content_type, bytes) = download(
        &app.client,
        &app.url(&format!("/api/v1/exports/indicators.csv?{query}&lang=en")),
    )
    .await?;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let text = String::from_utf8(bytes[3..].to_vec())?;
    assert!(text.lines().count() > 1 && text.contains("\r\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers()?.clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(region), Some(year), Some(indicator), Some(rate), Some(n), Some(numerator)) = (
        at("region_code"),
        at("year"),
        at("indicator"),
        at("rate"),
        at("n"),
        at("numerator"),
    ) else {
        bail!("missing columns: {header:?}");
    };
    let mut seen = 0;
    for record in reader.records() {
        let record = record?;
        let key = (
            record[region].to_owned(),
            record[year].parse::<i64>()?,
            record[indicator].to_owned(),
        );
        let Some((want_rate, want_n, want_numerator)) = expected.get(&key) else {
            bail!("row not in the API response: {key:?}");
        };
        let got_rate = (!record[rate].is_empty())
            .then(|| record[rate].parse::<f64>())
            .transpose()?;
        assert_eq!(got_rate, *want_rate, "{key:?}");
        assert_eq!(Some(record[n].parse::<u64>()?), *want_n);
        assert_eq!(Some(record[numerator].parse::<f64>()?), *want_numerator);
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "one row per group and indicator");

    // Chinese headers by default.
    let (_, zh) = download(
        &app.client,
        &app.url(&format!("/api/v1/exports/indicators.csv?{query}")),
    )
    .await?;
    assert!(String::from_utf8_lossy(&zh).contains("指标名称"));

    let (_, bytes) = download(
        &app.client,
        &app.url(&format!("/api/v1/exports/indicators.xlsx?{query}&lang=en")),
    )
    .await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    assert_eq!(book.sheet_names(), ["indicators", "straw_uses"]);
    let sheet = book.worksheet_range("indicators")?;
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), expected.len() + 1);
    for row in &rows[1..] {
        assert!(
            matches!(cell(rows[0], row, "n")?, Data::Float(_)),
            "n is a number cell"
        );
        assert!(matches!(cell(rows[0], row, "indicator")?, Data::String(_)));
    }
    let straw = book.worksheet_range("straw_uses")?;
    assert!(straw.rows().count() > 1, "the five-use structure");

    let (_, bytes) = download(
        &app.client,
        &app.url(&format!("/api/v1/exports/indicators.ndjson?{query}")),
    )
    .await?;
    let lines: Vec<Value> = String::from_utf8(bytes)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), expected.len());
    for line in &lines {
        let key = (
            field_str(line, "region_code").to_owned(),
            field_i64(line, "year"),
            field_str(line, "indicator").to_owned(),
        );
        assert_eq!(
            expected.get(&key).map(|e| e.0),
            Some(line["rate"].as_f64()),
            "{key:?}"
        );
    }

    // Parameters are checked as for /indicators.
    let response = app
        .client
        .get(app.url("/api/v1/exports/indicators.csv?indicator=nonsense"))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 400);
    Ok(())
}

/// The text fields a spreadsheet would run as formulas if written raw, and what the CSV
/// export writes instead (OWASP, CSV injection).
const FORMULA_LIKE: [(&str, &str, &str); 8] = [
    (
        "village",
        "=HYPERLINK(\"http://x\",\"点击\")",
        "'=HYPERLINK(\"http://x\",\"点击\")",
    ),
    ("township", "+1", "'+1"),
    ("household", "-x", "'-x"),
    ("technician", "@a", "'@a"),
    ("village", "\tx", "'\tx"),
    ("township", "\r=1", "'\r=1"),
    // Guarded by hand already: one more guard, so that the import gives it back.
    ("household", "'=x", "''=x"),
    ("technician", "-", "'-"),
];

/// Synthetic surveys, the first two carrying [`FORMULA_LIKE`] (four fields each).
fn formula_like_surveys() -> Vec<Value> {
    let mut surveys = synthetic_surveys(30);
    for (index, (field, value, _)) in FORMULA_LIKE.iter().enumerate() {
        surveys[index / 4][*field] = json!(value);
    }
    surveys
}

async fn formula_like_text_is_neutralised_in_csv_kept_a_string_in_xlsx_and_round_trips(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let surveys = formula_like_surveys();
    store(&app, &surveys).await?;

    // CSV: every formula-like text cell carries the guard; numbers stay as they are.
    let (_, csv_bytes) =
        download(&app.client, &app.url("/api/v1/exports/surveys.csv?lang=en")).await?;
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(records.len(), surveys.len());
    for (index, (field, value, written)) in FORMULA_LIKE.iter().enumerate() {
        let at = column(field).with_context(|| format!("no column {field}"))?;
        assert_eq!(&records[index / 4][at], *written, "{field} {value:?}");
    }
    for record in &records {
        for name in ["township", "village", "household", "technician"] {
            let text = column(name)
                .and_then(|at| record.get(at))
                .unwrap_or_default();
            assert!(
                !text.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{name} {text:?} would run as a formula"
            );
        }
    }

    // XLSX: the same text, unguarded, in string cells; no formula anywhere.
    let (_, xlsx_bytes) = download(
        &app.client,
        &app.url("/api/v1/exports/surveys.xlsx?lang=en"),
    )
    .await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes))?;
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name)?;
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} has formulas"
        );
    }
    let sheet = book.worksheet_range("surveys")?;
    let rows: Vec<&[Data]> = sheet.rows().collect();
    for (index, (field, value, _)) in FORMULA_LIKE.iter().enumerate() {
        assert_eq!(
            cell(rows[0], rows[1 + index / 4], field)?,
            &Data::String((*value).to_owned()),
            "{field} {value:?}"
        );
    }

    // Export → import into an empty database → export: the same bytes, and the stored
    // text without the guard.
    for format in ["csv", "xlsx"] {
        let (first, _, empty) =
            import_into_an_empty_database(&app, backend, (format, "en"), surveys.len()).await?;
        let stored = empty.all_surveys("").await?;
        for (index, (field, value, _)) in FORMULA_LIKE.iter().enumerate() {
            let id = &surveys[index / 4]["id"];
            let item = stored
                .iter()
                .find(|s| &s["survey"]["id"] == id)
                .with_context(|| format!("{format}: survey {id} not imported"))?;
            assert_eq!(item["survey"][*field], json!(value), "{format}: {field}");
        }
        assert!(
            first == export_by_command_line(&empty, (format, "en"))?,
            "{format}: the export of the imported surveys differs"
        );
    }
    Ok(())
}
