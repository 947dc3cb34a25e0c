//! `/admin/s/{store}/analytics` (SPEC 12): the store's funnel, amounts and
//! chart for the last 7, 30 or 90 days, refusals by reason, and the
//! per-code table, also as CSV (`/analytics.csv`).

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_DISPOSITION, ContentDisposition, DispositionParam, DispositionType,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::app::analytics::{self as use_case, PERIODS, Report};
use crate::domain::csv::cell;
use crate::error::AppError;
use crate::web::extract::{StoreAccess, Viewer};
use crate::web::filters;
use crate::web::layout::{Layout, Section};
use crate::web::render_status;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodParams {
    pub days: Option<i64>,
}

#[derive(Template)]
#[template(path = "stores/analytics.html")]
struct AnalyticsPage {
    layout: Layout,
    base: String,
    report: Report,
    since: String,
    periods: [i64; 3],
}

async fn load(access: &StoreAccess<Viewer>, days: Option<i64>) -> Result<Report, AppError> {
    let store = access.store.clone();
    let days = use_case::period(days);
    crate::web::db(&access.state, move |conn| {
        use_case::report(conn, &store, days)
    })
    .await
}

pub async fn show(
    access: StoreAccess<Viewer>,
    params: web::Query<PeriodParams>,
) -> Result<HttpResponse, AppError> {
    let report = load(&access, params.days).await?;
    let page = AnalyticsPage {
        layout: access.layout(Section::Analytics)?,
        base: access.base_path(),
        since: use_case::since(&access.store, report.days),
        report,
        periods: PERIODS,
    };
    render_status(StatusCode::OK, &page)
}

/// The per-code table of the period as CSV.
pub async fn csv(
    access: StoreAccess<Viewer>,
    params: web::Query<PeriodParams>,
) -> Result<HttpResponse, AppError> {
    let report = load(&access, params.days).await?;
    let mut text = String::from(
        "code,kind,coupon_id,promotion_code_id,set_id,opens,applied,redeemed,rolled_back,currency,discount,revenue\n",
    );
    for line in &report.codes {
        let k = line.figures.code;
        let f = line.figures.funnel;
        let money: Vec<(String, i64, i64)> = if line.figures.money.is_empty() {
            vec![(String::new(), 0, 0)]
        } else {
            line.figures.money.clone()
        };
        // One line per currency; the counts on the first only.
        for (i, (currency, discount, revenue)) in money.iter().enumerate() {
            let counts = if i == 0 {
                format!("{},{},{},{}", f.opens, f.applied, f.redeemed, f.rolled_back)
            } else {
                "0,0,0,0".into()
            };
            text.push_str(&format!(
                "{},{},{},{},{},{counts},{},{discount},{revenue}\n",
                cell(&line.code),
                line.kind,
                k.coupon,
                k.promotion,
                k.set,
                cell(currency),
            ));
        }
    }
    let filename = format!("{}-analytics-{}-days.csv", access.store.slug, report.days);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(filename)],
            },
        ))
        .body(text))
}
