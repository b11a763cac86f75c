//! Tests for atomic files: nothing is visible before commit, nothing is left
//! after an abandoned write.
#![allow(clippy::unwrap_used)]

use std::io::{Seek, SeekFrom, Write};

use super::*;

fn directory_entries(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn content_appears_only_on_commit() {
    let temp_dir = tempfile::tempdir().unwrap();
    let final_path = temp_dir.path().join("items.jsonl");
    let mut atomic_file = AtomicFile::create(&final_path).unwrap();
    atomic_file.writer().write_all(b"hello world").unwrap();
    assert!(!final_path.exists());

    let temp_name = atomic_file
        .temp_path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let expected_prefix = format!(".items.jsonl.tmp-{}-", std::process::id());
    assert!(temp_name.starts_with(&expected_prefix), "{temp_name}");
    assert_eq!(temp_name.len(), expected_prefix.len() + 16);
    assert_eq!(atomic_file.temp_path().parent(), Some(temp_dir.path()));

    atomic_file.commit().unwrap();
    assert_eq!(std::fs::read(&final_path).unwrap(), b"hello world");
    assert_eq!(directory_entries(temp_dir.path()), ["items.jsonl"]);
}

#[test]
fn writer_can_seek_back_and_patch() {
    let temp_dir = tempfile::tempdir().unwrap();
    let final_path = temp_dir.path().join("patched.bin");
    let mut atomic_file = AtomicFile::create(&final_path).unwrap();
    atomic_file.writer().write_all(b"xxxx-body").unwrap();
    atomic_file.writer().seek(SeekFrom::Start(0)).unwrap();
    atomic_file.writer().write_all(b"HEAD").unwrap();
    atomic_file.commit().unwrap();
    assert_eq!(std::fs::read(&final_path).unwrap(), b"HEAD-body");
}

#[test]
fn dropped_file_leaves_neither_final_file_nor_temp() {
    let temp_dir = tempfile::tempdir().unwrap();
    let final_path = temp_dir.path().join("items.csv");
    {
        let mut atomic_file = AtomicFile::create(&final_path).unwrap();
        atomic_file.writer().write_all(b"half written").unwrap();
        assert_eq!(directory_entries(temp_dir.path()).len(), 1);
    }
    assert_eq!(directory_entries(temp_dir.path()), Vec::<String>::new());
}

#[test]
fn commit_replaces_an_existing_file_whole() {
    let temp_dir = tempfile::tempdir().unwrap();
    let final_path = temp_dir.path().join("items.csv");
    std::fs::write(&final_path, b"old content that is longer").unwrap();
    write_atomic(&final_path, b"new").unwrap();
    assert_eq!(std::fs::read(&final_path).unwrap(), b"new");
    assert_eq!(directory_entries(temp_dir.path()), ["items.csv"]);
}

#[test]
fn two_writers_to_one_path_get_separate_temp_files() {
    let temp_dir = tempfile::tempdir().unwrap();
    let final_path = temp_dir.path().join("items.csv");
    let first = AtomicFile::create(&final_path).unwrap();
    let second = AtomicFile::create(&final_path).unwrap();
    assert_ne!(first.temp_path(), second.temp_path());
}

#[test]
fn create_in_a_missing_directory_is_not_found() {
    let temp_dir = tempfile::tempdir().unwrap();
    let error = AtomicFile::create(&temp_dir.path().join("missing").join("items.csv")).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
}

#[test]
fn path_without_a_file_name_is_invalid_input() {
    let error = AtomicFile::create(Path::new("/")).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}
