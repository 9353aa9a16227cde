//! Demo data: realistic surveys for the Ali and Qinghai counties, generated
//! deterministically, so a first `just serve` shows charts and tables rather than an
//! empty page.

use agriwaste_analytics::synthetic::SyntheticSpec;

use crate::auth::Actor;
use crate::ingest::{self, ValidatedSurvey, today_in_china};
use crate::storage::Storage;

/// How many demo surveys: about two hundred per county over three years, so that most
/// county-years clear the 30 households the progress board needs before it judges a
/// target (`progress::MIN_N`), and their trends show.
pub const DEMO_SURVEYS: usize = 6_000;

/// Fills an empty database with demo surveys; leaves a database with surveys alone.
pub async fn seed_if_empty(storage: &Storage) -> anyhow::Result<()> {
    if storage.count_surveys().await? > 0 {
        tracing::info!("database has surveys; demo data not added");
        return Ok(());
    }
    let spec = SyntheticSpec::default();
    let today = today_in_china();
    let coefficients = storage.coefficient_table().await?;
    let mut stored = 0;
    for chunk in spec.surveys(DEMO_SURVEYS).chunks(500) {
        let batch: Vec<ValidatedSurvey> = chunk
            .iter()
            .filter_map(|survey| {
                ingest::validate(survey.clone(), storage.regions(), &coefficients, today).ok()
            })
            .collect();
        stored += storage
            .create_surveys(&batch, &Actor::system("demo-data"))
            .await?
            .len();
    }
    tracing::info!(surveys = stored, "demo data added");
    Ok(())
}
