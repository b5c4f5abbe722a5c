//! `bellows lsp`: a Language Server Protocol server over standard input and output.
//!
//! Owns the protocol side: the open documents (full text sync), diagnostics published on
//! open and on every change, hover over a finding (the rule's page, as `bellows explain`
//! prints it), and code actions that apply the fixes of [`crate::fix`] as workspace edits
//! (creating the new VALIDATE migration with `CreateFile`). Each document is linted in the
//! context of its project ([`project::lint_buffer`]). Synchronous: one message at a time.

mod position;
mod project;

use crate::fix::{Fix, Project};
use crate::lint::FileResult;
use crate::rules::Severity;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CreateFile, CreateFileOptions, Diagnostic, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentChangeOperation, DocumentChanges, Hover, HoverContents, HoverParams,
    HoverProviderCapability, MarkupContent, MarkupKind, NumberOrString, OneOf,
    OptionalVersionedTextDocumentIdentifier, PublishDiagnosticsParams, Range, ResourceOp,
    ServerCapabilities, TextDocumentEdit, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Uri, WorkspaceEdit,
};
use position::{offset_of, range_of};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An open document and its last lint.
struct Doc {
    path: PathBuf,
    text: String,
    version: i32,
    result: Option<FileResult>,
    project: Project,
}

/// How the server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown` then `exit` (exit status 0).
    Clean,
    /// `exit` without `shutdown`, or the client went away (exit status 1).
    Abrupt,
}

/// Runs the server on standard input and output until the client says `exit`.
pub fn run_stdio() -> Result<Ended, String> {
    let (connection, io_threads) = Connection::stdio();
    let ended = serve(&connection)?;
    drop(connection);
    io_threads.join().map_err(|e| e.to_string())?;
    Ok(ended)
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// The message loop on an established connection.
pub fn serve(connection: &Connection) -> Result<Ended, String> {
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    connection.initialize(caps).map_err(|e| e.to_string())?;
    let mut docs: HashMap<String, Doc> = HashMap::new();
    let mut replays = project::Replays::default();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(Ended::Clean);
                }
                let response = handle_request(&docs, req);
                send(connection, Message::Response(response));
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(Ended::Abrupt);
                }
                for out in handle_notification(&mut docs, &mut replays, n) {
                    send(connection, Message::Notification(out));
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(Ended::Abrupt)
}

fn send(connection: &Connection, msg: Message) {
    // The client has gone away when this fails; the loop ends on the closed channel.
    let _ = connection.sender.send(msg);
}

fn handle_request(docs: &HashMap<String, Doc>, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        "textDocument/hover" => serde_json::from_value::<HoverParams>(req.params)
            .map_err(|e| e.to_string())
            .map(|p| serde_json::to_value(hover(docs, &p)).unwrap_or_default()),
        "textDocument/codeAction" => serde_json::from_value::<CodeActionParams>(req.params)
            .map_err(|e| e.to_string())
            .map(|p| serde_json::to_value(code_actions(docs, &p)).unwrap_or_default()),
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("bellows does not handle {}", req.method),
            )
        }
    };
    match result {
        Ok(value) => Response::new_ok(id, value),
        Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
    }
}

fn handle_notification(
    docs: &mut HashMap<String, Doc>,
    replays: &mut project::Replays,
    n: Notification,
) -> Vec<Notification> {
    match n.method.as_str() {
        "textDocument/didOpen" => {
            let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                return Vec::new();
            };
            let doc = p.text_document;
            update(docs, replays, doc.uri, doc.text, doc.version)
        }
        "textDocument/didChange" => {
            let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                return Vec::new();
            };
            // Full sync: the last change holds the whole text.
            let Some(change) = p.content_changes.into_iter().last() else {
                return Vec::new();
            };
            update(
                docs,
                replays,
                p.text_document.uri,
                change.text,
                p.text_document.version,
            )
        }
        "textDocument/didClose" => {
            let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                return Vec::new();
            };
            docs.remove(p.text_document.uri.as_str());
            vec![publish(p.text_document.uri, Vec::new(), None)]
        }
        _ => Vec::new(),
    }
}

fn publish(uri: Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) -> Notification {
    Notification::new(
        "textDocument/publishDiagnostics".to_owned(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        },
    )
}

/// Lints the new text of a document and returns its diagnostics.
fn update(
    docs: &mut HashMap<String, Doc>,
    replays: &mut project::Replays,
    uri: Uri,
    text: String,
    version: i32,
) -> Vec<Notification> {
    let Some(path) = path_of(&uri) else {
        return Vec::new();
    };
    let (diagnostics, result, project) = match project::lint_buffer(&path, &text, replays) {
        Ok(linted) => {
            let diagnostics = linted.result.as_ref().map(diagnostics).unwrap_or_default();
            (diagnostics, linted.result, linted.project)
        }
        Err(e) => (
            vec![Diagnostic {
                range: Range::default(),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("bellows".to_owned()),
                message: format!("bellows cannot lint this file: {e}"),
                ..Diagnostic::default()
            }],
            None,
            Project::default(),
        ),
    };
    docs.insert(
        uri.as_str().to_owned(),
        Doc {
            path,
            text,
            version,
            result,
            project,
        },
    );
    vec![publish(uri, diagnostics, Some(version))]
}

fn diagnostics(result: &FileResult) -> Vec<Diagnostic> {
    let text = &result.source.text;
    result
        .findings
        .iter()
        .map(|f| Diagnostic {
            range: range_of(text, &f.span),
            severity: Some(match f.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(f.rule.to_owned())),
            source: Some("bellows".to_owned()),
            message: if f.help.is_empty() {
                f.message.clone()
            } else {
                format!("{}\n\nhelp: {}", f.message, f.help)
            },
            ..Diagnostic::default()
        })
        .collect()
}

/// The file a `file://` URI names.
fn path_of(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

fn uri_of(path: &Path) -> Option<Uri> {
    url::Url::from_file_path(path).ok()?.as_str().parse().ok()
}

/// The rule page of the finding under the cursor.
fn hover(docs: &HashMap<String, Doc>, p: &HoverParams) -> Option<Hover> {
    let doc = docs.get(p.text_document_position_params.text_document.uri.as_str())?;
    let result = doc.result.as_ref()?;
    let at = offset_of(
        &result.source.text,
        p.text_document_position_params.position,
    );
    let finding = result
        .findings
        .iter()
        .find(|f| f.span.start <= at && at <= f.span.end)?;
    let rule = crate::rules::lookup(finding.rule)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: crate::report::page::rule_page(rule),
        }),
        range: Some(range_of(&result.source.text, &finding.span)),
    })
}

/// The fixes of the findings in the requested range.
fn code_actions(docs: &HashMap<String, Doc>, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let Some(doc) = docs.get(p.text_document.uri.as_str()) else {
        return Vec::new();
    };
    let Some(result) = &doc.result else {
        return Vec::new();
    };
    let text = &result.source.text;
    let fixes = crate::fix::fixes(result, &doc.project);
    let overlaps = |r: &Range| !(r.end < p.range.start || p.range.end < r.start);
    fixes
        .fixes
        .iter()
        .filter(|fix| overlaps(&range_of(text, &fix.span)))
        .filter_map(|fix| {
            let edit = workspace_edit(doc, &p.text_document.uri, fix)?;
            let diagnostics: Vec<Diagnostic> = p
                .context
                .diagnostics
                .iter()
                .filter(|d| {
                    d.code == Some(NumberOrString::String(fix.rule.to_owned()))
                        && d.range == range_of(text, &fix.span)
                })
                .cloned()
                .collect();
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                edit: Some(edit),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}

/// A fix as document changes: edits of the open document (against its buffer), edits of
/// other files (against their text on disk, created first when missing), and new files.
fn workspace_edit(doc: &Doc, uri: &Uri, fix: &Fix) -> Option<WorkspaceEdit> {
    let mut ops: Vec<DocumentChangeOperation> = Vec::new();
    let mut by_path: Vec<(PathBuf, Vec<&crate::fix::Edit>)> = Vec::new();
    for e in &fix.edits {
        match by_path.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, list)) => list.push(e),
            None => by_path.push((e.path.clone(), vec![e])),
        }
    }
    for (path, edits) in by_path {
        let own = crate::fix::same_file(&path, &doc.path) || path == doc.path;
        let (target, version, text) = if own {
            (uri.clone(), Some(doc.version), doc.text.clone())
        } else {
            let target = uri_of(&path)?;
            match std::fs::read_to_string(&path) {
                Ok(text) => (target, None, text),
                Err(_) => {
                    ops.push(create_op(&target));
                    (target, None, String::new())
                }
            }
        };
        // The open document's offsets index its text without a BOM, like the linter's.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
        let edits = edits
            .into_iter()
            .map(|e| {
                OneOf::Left(TextEdit {
                    range: range_of(&text, &e.range),
                    new_text: e.replacement.clone(),
                })
            })
            .collect();
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: target,
                version,
            },
            edits,
        }));
    }
    for new in &fix.create {
        let target = uri_of(&new.path)?;
        ops.push(create_op(&target));
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: target,
                version: None,
            },
            edits: vec![OneOf::Left(TextEdit {
                range: Range::default(),
                new_text: new.text.clone(),
            })],
        }));
    }
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..WorkspaceEdit::default()
    })
}

fn create_op(uri: &Uri) -> DocumentChangeOperation {
    DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
        uri: uri.clone(),
        options: Some(CreateFileOptions {
            overwrite: Some(false),
            ignore_if_exists: Some(true),
        }),
        annotation_id: None,
    }))
}
