//! `POST /coupon-sets/{id}/import`: codes from an uploaded CSV file (one
//! code a line, header optional), in batches of `BATCH` codes, each its own
//! short transaction, so that checkouts of every store go on meanwhile;
//! every refused line is reported with its reason.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;

use crate::db;
use crate::db::coupon_sets::{ImportCode, SetWriteError};
use crate::domain::coupon_set::{ImportLine, import_line};
use crate::domain::ids::CouponSetId;
use crate::error::AppError;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::layout::{Layout, Section};
use crate::web::render_status;

/// Largest file read, in bytes.
const FILE_MAX: usize = 20 * 1024 * 1024;
/// Most lines read from one file.
const LINES_MAX: usize = 1_000_000;
/// Codes written per transaction.
const BATCH: usize = 5_000;
/// Refused lines shown on the page (all are counted).
const SHOWN_MAX: usize = 500;

pub struct Refused {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "coupon_sets/import.html")]
struct ImportPage {
    layout: Layout,
    base: String,
    set_id: i64,
    set_name: String,
    added: usize,
    refused_count: usize,
    refused: Vec<Refused>,
    error: Option<String>,
}

/// Reads the multipart form: the CSRF token and the file's bytes.
async fn read_form(mut payload: Multipart) -> Result<(Option<String>, Vec<u8>), AppError> {
    let bad = |e: actix_multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}."))
    };
    let (mut token, mut file) = (None, Vec::new());
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            if value.len() + chunk.len() > FILE_MAX {
                return Err(AppError::BadRequest(
                    "The file is larger than 20 MB: split it into smaller files (at most 1,000,000 lines each) and import them one after another.".into(),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf_token" => token = Some(String::from_utf8_lossy(&value).into_owned()),
            "file" => file = value,
            _ => {}
        }
    }
    Ok((token, file))
}

pub async fn import(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let (token, file) = read_form(payload).await?;
    crate::web::session::check_csrf(&access.session, token.as_deref())?;
    let store = access.store.id();
    let id = CouponSetId(path.1);
    let text = String::from_utf8_lossy(&file);
    if text.lines().count() > LINES_MAX {
        return Err(AppError::BadRequest(
            "The file has more than 1,000,000 lines: split it and import the parts one after another.".into(),
        ));
    }
    let mut refused = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut batch = Vec::with_capacity(BATCH);
    let (mut added, mut error, mut set) = (0, None, None);
    let mut lines = text.lines().enumerate().peekable();
    while lines.peek().is_some() {
        for (i, line) in lines.by_ref() {
            match import_line(line, i == 0) {
                ImportLine::Code { text, normal } if !seen.insert(normal.clone()) => {
                    refused.push((i + 1, text, "duplicate of an earlier line".into()));
                }
                ImportLine::Code { text, normal } => batch.push(ImportCode {
                    line: i + 1,
                    text,
                    normal,
                }),
                ImportLine::Skip => {}
                ImportLine::Refused(reason) => {
                    refused.push((i + 1, line.trim().to_string(), reason))
                }
            }
            if batch.len() == BATCH {
                break;
            }
        }
        let codes = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        let (row, outcome) = crate::web::db(&access.state, move |conn| {
            let set = db::coupon_sets::find(conn, store, id)?;
            Ok::<_, AppError>((set, db::coupon_sets::import(conn, store, id, codes)))
        })
        .await?;
        set = Some(row);
        match outcome {
            Ok(report) => {
                refused.extend(report.refused);
                added += report.added;
            }
            Err(SetWriteError::Db(e)) => return Err(e.into()),
            Err(_) => {
                error = Some(
                    "The set is still generating codes: import again when it is done.".to_string(),
                );
                break;
            }
        }
    }
    let set = match set {
        Some(set) => set,
        None => {
            crate::web::db(&access.state, move |conn| {
                db::coupon_sets::find(conn, store, id)
            })
            .await?
        }
    };
    if file.is_empty() && error.is_none() {
        refused.push((
            0,
            String::new(),
            "no file was chosen, or it was empty".into(),
        ));
    }
    refused.sort_by_key(|r| r.0);
    let page = ImportPage {
        layout: access.layout(Section::CouponSets)?,
        base: access.base_path(),
        set_id: set.id,
        set_name: set.name,
        added,
        refused_count: refused.len(),
        refused: refused
            .into_iter()
            .take(SHOWN_MAX)
            .map(|(line, text, reason)| Refused { line, text, reason })
            .collect(),
        error,
    };
    render_status(StatusCode::OK, &page)
}
