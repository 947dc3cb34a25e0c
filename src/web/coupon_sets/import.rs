//! `POST /coupon-sets/{id}/import`: codes from an uploaded CSV file (one
//! code a line, header optional). The upload is spooled to a temporary file
//! (at most 20 MB and 1,000,000 lines, checked before anything is written),
//! then read back and written in batches of `BATCH` codes, each its own short
//! transaction, so that checkouts of every store go on meanwhile and memory
//! stays flat. Every refused line is counted and reported with its reason
//! (the first `SHOWN_MAX` on the page).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use crate::db::coupon_sets::{ImportCode, SetWriteError};
use crate::domain::coupon_set::{ImportLine, import_line};
use crate::domain::ids::CouponSetId;
use crate::domain::text::clipped;
use crate::error::AppError;
use crate::web::extract::{Manager, StoreAccess};
use crate::web::filters;
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
/// Characters of a refused line shown.
const SHOWN_TEXT_MAX: usize = 80;
/// Bytes of the upload gathered before each write to the spool file.
const WRITE_BUFFER: usize = 1 << 20;

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

/// The uploaded file, spooled to a temporary file as it arrives (memory stays
/// flat whatever its size), removed when dropped.
struct Spooled {
    path: PathBuf,
    bytes: usize,
    lines: usize,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

const TOO_BIG: &str = "The file is larger than 20 MB: split it into smaller files (at most 1,000,000 lines each) and import them one after another.";
const TOO_MANY_LINES: &str =
    "The file has more than 1,000,000 lines: split it and import the parts one after another.";

/// Reads the multipart form: the CSRF token, and the file spooled to disk
/// with its size and line count checked before anything is imported.
async fn read_form(mut payload: Multipart) -> Result<(Option<String>, Spooled), AppError> {
    let bad = |e: actix_multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}."))
    };
    let path = std::env::temp_dir().join(format!(
        "promodesk-import-{}.csv",
        crate::app::tokens::new_token().map_err(AppError::internal)?
    ));
    let file = web::block({
        let path = path.clone();
        move || std::fs::File::create_new(path)
    })
    .await?
    .map_err(AppError::internal)?;
    let mut spooled = Spooled {
        path,
        bytes: 0,
        lines: 0,
    };
    let mut out = Some(std::io::BufWriter::with_capacity(WRITE_BUFFER, file));
    let (mut token, mut ends_with_newline) = (None, true);
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let mut value = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            match name.as_str() {
                "file" => {
                    spooled.bytes += chunk.len();
                    if spooled.bytes > FILE_MAX {
                        return Err(AppError::BadRequest(TOO_BIG.into()));
                    }
                    spooled.lines += chunk.iter().filter(|b| **b == b'\n').count();
                    ends_with_newline = chunk.last() == Some(&b'\n');
                    value.extend_from_slice(&chunk);
                    if value.len() >= WRITE_BUFFER {
                        out = Some(write_spool(out, std::mem::take(&mut value)).await?);
                    }
                }
                "csrf_token" if value.len() + chunk.len() <= 1024 => {
                    value.extend_from_slice(&chunk)
                }
                _ => {}
            }
        }
        match name.as_str() {
            "csrf_token" => token = Some(String::from_utf8_lossy(&value).into_owned()),
            "file" => out = Some(write_spool(out, value).await?),
            _ => {}
        }
    }
    if !ends_with_newline {
        spooled.lines += 1;
    }
    if spooled.lines > LINES_MAX {
        return Err(AppError::BadRequest(TOO_MANY_LINES.into()));
    }
    if let Some(out) = out {
        web::block(move || out.into_inner().map(drop).map_err(|e| e.into_error()))
            .await?
            .map_err(AppError::internal)?;
    }
    Ok((token, spooled))
}

type Spool = std::io::BufWriter<std::fs::File>;

/// Appends `bytes` to the spool file off the async workers.
async fn write_spool(out: Option<Spool>, bytes: Vec<u8>) -> Result<Spool, AppError> {
    let mut out = out.ok_or_else(|| AppError::BadRequest("The form holds two files.".into()))?;
    web::block(move || out.write_all(&bytes).map(|()| out))
        .await?
        .map_err(AppError::internal)
}

/// Reads the spooled file a batch at a time, in line order.
struct Lines {
    reader: BufReader<std::fs::File>,
    /// The number of the last line read.
    line: usize,
    buffer: Vec<u8>,
}

/// One batch: the codes to write, and the lines refused before writing.
struct Batch {
    codes: Vec<ImportCode>,
    refused: Vec<(usize, String, String)>,
    done: bool,
}

impl Lines {
    fn next_batch(&mut self) -> std::io::Result<Batch> {
        let mut batch = Batch {
            codes: Vec::with_capacity(BATCH),
            refused: Vec::new(),
            done: false,
        };
        while batch.codes.len() < BATCH {
            self.buffer.clear();
            if self.reader.read_until(b'\n', &mut self.buffer)? == 0 {
                batch.done = true;
                break;
            }
            self.line += 1;
            let line = String::from_utf8_lossy(&self.buffer);
            let line = line.trim_end_matches(['\n', '\r']);
            match import_line(line, self.line == 1) {
                ImportLine::Code { text, normal } => batch.codes.push(ImportCode {
                    line: self.line,
                    text,
                    normal,
                }),
                ImportLine::Skip => {}
                ImportLine::Refused(reason) => {
                    batch
                        .refused
                        .push((self.line, clipped(line.trim(), SHOWN_TEXT_MAX), reason))
                }
            }
        }
        Ok(batch)
    }
}

pub async fn import(
    access: StoreAccess<Manager>,
    path: web::Path<(String, i64)>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let (token, spooled) = read_form(payload).await?;
    crate::web::session::check_csrf(&access.session, token.as_deref())?;
    let store = access.store.clone();
    let id = CouponSetId(path.1);
    let file = web::block({
        let path = spooled.path.clone();
        move || std::fs::File::open(path)
    })
    .await?
    .map_err(AppError::internal)?;
    let mut lines = Some(Lines {
        reader: BufReader::new(file),
        line: 0,
        buffer: Vec::new(),
    });
    // Every refused line is counted; the first SHOWN_MAX are kept to show.
    let mut refused = Vec::new();
    let (mut refused_count, mut added, mut error, mut set) = (0, 0, None, None);
    let file_start = crate::web::db(&access.state, crate::app::coupon_sets::import_start).await?;
    // Each batch is read and written in one blocking call, in its own
    // transaction: the writer lock is held for one batch at a time.
    while let Some(mut source) = lines.take() {
        let store = store.clone();
        let (source, row, outcome) = crate::web::db(&access.state, move |conn| {
            let batch = source.next_batch().map_err(AppError::internal)?;
            let set = crate::app::coupon_sets::find(conn, &store, id)?;
            let written = if batch.codes.is_empty() {
                Ok(Default::default())
            } else {
                crate::app::coupon_sets::import_batch(conn, &store, id, batch.codes, file_start)
            };
            let source = (!batch.done).then_some(source);
            Ok::<_, AppError>((source, set, written.map(|r| (r, batch.refused))))
        })
        .await?;
        set = Some(row);
        match outcome {
            Ok((report, mut before)) => {
                added += report.added;
                before.extend(report.refused);
                before.sort_by_key(|r| r.0);
                refused_count += before.len();
                let room = SHOWN_MAX.saturating_sub(refused.len());
                refused.extend(before.into_iter().take(room));
                lines = source;
            }
            Err(SetWriteError::Db(e)) => return Err(e.into()),
            Err(_) => {
                error = Some(
                    "The set is still generating codes: import again when it is done.".to_string(),
                );
            }
        }
    }
    let set = match set {
        Some(set) => set,
        None => {
            crate::web::db(&access.state, move |conn| {
                crate::app::coupon_sets::find(conn, &store, id)
            })
            .await?
        }
    };
    if spooled.bytes == 0 && error.is_none() {
        refused_count += 1;
        refused.push((
            0,
            String::new(),
            "no file was chosen, or it was empty".into(),
        ));
    }
    let page = ImportPage {
        layout: access.layout(Section::CouponSets)?,
        base: access.base_path(),
        set_id: set.id,
        set_name: set.name,
        added,
        refused_count,
        refused: refused
            .into_iter()
            .map(|(line, text, reason)| Refused { line, text, reason })
            .collect(),
        error,
    };
    render_status(StatusCode::OK, &page)
}
