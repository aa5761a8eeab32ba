//! Verdicts on the committed fixtures in `fixtures/signatures/` (made by `make.py` there),
//! plus hostile inputs built in memory. Needs nothing but the Rust toolchain.

use std::path::PathBuf;

use formtool::verify::signature::{
    SignatureField, SignatureInput, SignatureVerdict, TrustAnchors, signatures_in, verify,
};

const SIGNING_TIME: &str = "2025-03-14T09:26:53Z";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/signatures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn anchors(name: &str) -> TrustAnchors {
    TrustAnchors::from_pem(&fixture(name)).expect("fixture PEM")
}

fn only(pdf: &[u8]) -> SignatureField<'_> {
    let mut fields = signatures_in(pdf).expect("fixture parses");
    assert_eq!(fields.len(), 1, "expected exactly one signature");
    fields.remove(0)
}

/// The verdict a good signature over the whole file gets without trust anchors.
fn good(len: usize, alg: &'static str, digest: &'static str, signer: &str) -> SignatureVerdict {
    SignatureVerdict {
        byte_range_ok: true,
        signed_len: len,
        intact: true,
        valid: true,
        digest_algorithm: digest,
        weak: digest == "SHA-1",
        signature_algorithm: alg,
        signer: signer.into(),
        signing_time: Some(SIGNING_TIME.into()),
        trusted: None,
        problems: vec![],
    }
}

fn check_good(name: &str, field: &str, expected: SignatureVerdict) {
    let pdf = fixture(name);
    let sig = only(&pdf);
    assert_eq!(sig.name, field);
    assert_eq!(sig.input.revision_end, Some(pdf.len()));
    let verdict = verify(&sig.input, None);
    assert_eq!(verdict, expected, "{name}");
    assert!(verdict.ok(), "{name}");

    let trusted = verify(&sig.input, Some(&anchors("test-ca.pem")));
    assert_eq!(trusted.trusted, Some(true), "{name}: {:?}", trusted.problems);
    assert!(trusted.ok(), "{name}");

    let untrusted = verify(&sig.input, Some(&anchors("unrelated-ca.pem")));
    assert_eq!(untrusted.trusted, Some(false), "{name}");
    assert!(!untrusted.ok(), "{name}");
    assert_eq!(untrusted.problems.len(), 1, "{name}: {:?}", untrusted.problems);
    assert!(untrusted.problems[0].starts_with("not trusted: the chain from"), "{name}: {}", untrusted.problems[0]);
}

#[test]
fn rsa_pkcs1_sha256_verifies() {
    let len = fixture("rsa-sha256.pdf").len();
    check_good("rsa-sha256.pdf", "CurrentPartner", good(len, "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin"));
}

#[test]
fn rsa_pss_sha256_verifies() {
    let len = fixture("rsa-pss-sha256.pdf").len();
    check_good("rsa-pss-sha256.pdf", "CurrentPartner", good(len, "RSA-PSS", "SHA-256", "Contoso Partner Admin"));
}

#[test]
fn ecdsa_p256_verifies() {
    let len = fixture("ecdsa-p256-sha256.pdf").len();
    check_good("ecdsa-p256-sha256.pdf", "Customer", good(len, "ECDSA P-256", "SHA-256", "Fabrikam Customer"));
}

#[test]
fn ecdsa_p384_sha384_verifies() {
    let len = fixture("ecdsa-p384-sha384.pdf").len();
    check_good("ecdsa-p384-sha384.pdf", "NewPartner", good(len, "ECDSA P-384", "SHA-384", "Northwind New Partner"));
}

#[test]
fn rsa_sha1_verifies_but_is_weak() {
    let len = fixture("rsa-sha1.pdf").len();
    let expected = good(len, "RSA PKCS#1 v1.5", "SHA-1", "Contoso Partner Admin");
    assert!(expected.weak);
    check_good("rsa-sha1.pdf", "CurrentPartner", expected);
}

#[test]
fn cades_detached_verifies_without_signing_time() {
    let pdf = fixture("cades-rsa-sha256.pdf");
    assert_eq!(only(&pdf).input.sub_filter, "ETSI.CAdES.detached");
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.signing_time = None; // PAdES forbids signingTime; the time is in /M
    check_good("cades-rsa-sha256.pdf", "CurrentPartner", expected);
}

#[test]
fn signer_without_common_name_is_named_by_email() {
    let len = fixture("email-only-signer.pdf").len();
    check_good(
        "email-only-signer.pdf",
        "CurrentPartner",
        good(len, "RSA PKCS#1 v1.5", "SHA-256", "signer@adatum.example"),
    );
}

#[test]
fn poppler_nss_ber_signature_verifies() {
    // NSS writes indefinite-length BER and repeats the signer certificate.
    let pdf = fixture("pdfsig-rsa-sha256.pdf");
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.signing_time = None;
    check_good("pdfsig-rsa-sha256.pdf", "CurrentPartner", expected);
}

#[test]
fn signature_without_signed_attributes_verifies() {
    let pdf = fixture("rsa-no-signed-attrs.pdf");
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.signing_time = None;
    check_good("rsa-no-signed-attrs.pdf", "CurrentPartner", expected);
}

#[test]
fn signer_found_by_subject_key_identifier() {
    let len = fixture("rsa-ski-signer-id.pdf").len();
    check_good(
        "rsa-ski-signer-id.pdf",
        "CurrentPartner",
        good(len, "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin"),
    );
}

#[test]
fn self_signed_signer_is_valid_but_not_trusted() {
    let pdf = fixture("self-signed.pdf");
    let sig = only(&pdf);
    let verdict = verify(&sig.input, None);
    assert_eq!(verdict, good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Self-Signed Signer"));
    let with_ca = verify(&sig.input, Some(&anchors("test-ca.pem")));
    assert_eq!(with_ca.trusted, Some(false));
    assert!(!with_ca.ok());
    assert!(with_ca.valid && with_ca.intact && with_ca.byte_range_ok);
    assert_eq!(
        with_ca.problems,
        vec![
            "not trusted: the chain from \"Self-Signed Signer\" ends at \"Self-Signed Signer\", \
             which is not a trust anchor"
                .to_string()
        ]
    );
}

#[test]
fn two_signatures_in_successive_revisions() {
    let pdf = fixture("two-signatures.pdf");
    let fields = signatures_in(&pdf).expect("parses");
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["CurrentPartner", "Customer"]);
    let ca = anchors("test-ca.pem");

    let first = verify(&fields[0].input, Some(&ca));
    let first_end = fields[0].input.revision_end.expect("revision end");
    assert!(first_end < pdf.len());
    assert_eq!(pdf.get(first_end - 6..first_end), Some(&b"%%EOF\n"[..]));
    let mut expected = good(first_end, "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.trusted = Some(true);
    assert_eq!(first, expected);

    let second = verify(&fields[1].input, Some(&ca));
    let mut expected = good(pdf.len(), "ECDSA P-256", "SHA-256", "Fabrikam Customer");
    expected.trusted = Some(true);
    expected.signing_time = Some("2025-03-15T16:05:00Z".into());
    assert_eq!(second, expected);
}

// --- attacks -------------------------------------------------------------------------------

#[test]
fn changed_content_is_a_digest_mismatch() {
    let pdf = fixture("attack-content-changed.pdf");
    let verdict = verify(&only(&pdf).input, None);
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.intact = false;
    expected.problems = vec!["digest mismatch: the signed bytes were changed after signing".into()];
    assert_eq!(verdict, expected);
    assert!(!verdict.ok());
}

#[test]
fn byte_range_short_of_revision_end_fails() {
    let pdf = fixture("attack-byterange-short.pdf");
    let sig = only(&pdf);
    let verdict = verify(&sig.input, None);
    let mut expected = good(pdf.len() - 120, "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.byte_range_ok = false;
    expected.problems = vec!["ByteRange stops 120 bytes short of the revision end".into()];
    assert_eq!(verdict, expected);
    assert!(!verdict.ok());

    // Without a revision end the range itself is well formed: signed_len tells the caller.
    let bare = SignatureInput { revision_end: None, ..sig.input.clone() };
    let verdict = verify(&bare, None);
    assert!(verdict.byte_range_ok && verdict.intact && verdict.valid);
    assert_eq!(verdict.signed_len, pdf.len() - 120);
}

#[test]
fn byte_range_gap_beyond_contents_fails() {
    let pdf = fixture("attack-byterange-gap.pdf");
    let sig = only(&pdf);
    let verdict = verify(&sig.input, None);
    let (a, b) = (sig.input.byte_range[1], sig.input.byte_range[2]);
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.byte_range_ok = false;
    expected.problems =
        vec![format!("ByteRange gap [{a}, {b}) is not the /Contents hex string (it must run from '<' to '>')")];
    assert_eq!(verdict, expected);
    assert!(!verdict.ok());
}

#[test]
fn contents_that_are_not_cms_fail() {
    let pdf = fixture("attack-contents-not-cms.pdf");
    let verdict = verify(&only(&pdf).input, Some(&anchors("test-ca.pem")));
    assert_eq!(
        verdict,
        SignatureVerdict {
            byte_range_ok: true,
            signed_len: pdf.len(),
            intact: false,
            valid: false,
            digest_algorithm: "unknown",
            weak: false,
            signature_algorithm: "unknown",
            signer: String::new(),
            signing_time: None,
            trusted: Some(false),
            problems: vec![
                "/Contents is not a CMS SignedData: an element's length runs past the end of \
                 the data"
                    .into(),
                "not trusted: no signer certificate".into(),
            ],
        }
    );
    assert!(!verdict.ok());
}

#[test]
fn altered_signature_is_intact_but_invalid() {
    let pdf = fixture("attack-signature-altered.pdf");
    let verdict = verify(&only(&pdf).input, None);
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.valid = false;
    expected.problems = vec!["the RSA PKCS#1 v1.5 signature does not verify with the signer's key".into()];
    assert_eq!(verdict, expected);
    assert!(!verdict.ok());
}

#[test]
fn forged_issuer_signature_is_not_trusted() {
    let pdf = fixture("attack-forged-chain.pdf");
    let sig = only(&pdf);
    assert!(verify(&sig.input, None).ok(), "the signature itself is fine");
    let verdict = verify(&sig.input, Some(&anchors("test-ca.pem")));
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "Contoso Partner Admin");
    expected.trusted = Some(false);
    expected.problems = vec![
        "not trusted: the certificate of \"Contoso Partner Admin\" is not validly signed by any \
         certificate named CN=Formtool Test Issuing CA,O=Formtool Test,C=US"
            .into(),
    ];
    assert_eq!(verdict, expected);
}

#[test]
fn missing_signer_certificate_is_invalid() {
    let pdf = fixture("signer-cert-missing.pdf");
    let verdict = verify(&only(&pdf).input, None);
    let mut expected = good(pdf.len(), "RSA PKCS#1 v1.5", "SHA-256", "");
    expected.valid = false;
    expected.signature_algorithm = "unknown";
    expected.problems = vec!["the signer certificate is not in the CMS".into()];
    assert_eq!(verdict, expected);
}

#[test]
fn unsigned_pdf_has_no_signatures() {
    assert!(signatures_in(&fixture("unsigned.pdf")).expect("parses").is_empty());
}

// --- hostile inputs built in memory ------------------------------------------------------------

fn good_input(pdf: &[u8]) -> SignatureInput<'_> {
    only(pdf).input
}

#[test]
fn unknown_sub_filter_is_not_ok() {
    let pdf = fixture("rsa-sha256.pdf");
    let input = SignatureInput { sub_filter: "adbe.pkcs7.sha1".into(), ..good_input(&pdf) };
    let verdict = verify(&input, None);
    assert!(verdict.intact && verdict.valid && verdict.byte_range_ok);
    assert!(!verdict.ok());
    assert_eq!(
        verdict.problems,
        vec![
            "unsupported /SubFilter \"adbe.pkcs7.sha1\" (expected adbe.pkcs7.detached or \
             ETSI.CAdES.detached)"
                .to_string()
        ]
    );
}

#[test]
fn malformed_byte_ranges_fail_with_a_reason() {
    let pdf = fixture("rsa-sha256.pdf");
    let base = good_input(&pdf);
    let (a, b, c) = (base.byte_range[1], base.byte_range[2], base.byte_range[3]);
    let len = pdf.len() as i64;
    let cases: Vec<(Vec<i64>, &str)> = vec![
        (vec![], "ByteRange must be four integers, found 0 values"),
        (vec![0, a, b], "ByteRange must be four integers, found 3 values"),
        (vec![0, a, b, c, 0], "ByteRange must be four integers, found 5 values"),
        (vec![0, a, b, -1], "has a negative value"),
        (vec![1, a, b, c], "ByteRange starts at 1, not 0"),
        (vec![0, 0, b, c], "is not in order"),
        (vec![0, b, a, c], "is not in order"),
        (vec![0, a, a, c], "is not in order"),
        (vec![0, a, b, 0], "covers nothing after /Contents"),
        (vec![0, a, b, c + 1], "runs past the end of the file"),
        (vec![0, a, b, i64::MAX], "runs past the end of the file"),
        (vec![0, a, i64::MAX, i64::MAX], "runs past the end of the file"),
        (vec![0, a, len + 10, 1], "runs past the end of the file"),
        (vec![0, a + 1, b, c], "is not the /Contents hex string"),
        (vec![0, a, b - 1, c + 1], "is not the /Contents hex string"),
        (vec![0, 10, b, c], "is not the /Contents hex string"),
    ];
    for (range, reason) in cases {
        let input = SignatureInput { byte_range: range.clone(), ..base.clone() };
        let verdict = verify(&input, None);
        assert!(!verdict.byte_range_ok, "{range:?}");
        assert!(!verdict.ok(), "{range:?}");
        assert!(verdict.problems.iter().any(|p| p.contains(reason)), "{range:?}: {:?}", verdict.problems);
    }
}

#[test]
fn contents_must_match_the_byte_range_gap() {
    let pdf = fixture("rsa-sha256.pdf");
    let other = fixture("rsa-pss-sha256.pdf");
    let input = SignatureInput { contents: good_input(&other).contents, ..good_input(&pdf) };
    let verdict = verify(&input, None);
    assert!(!verdict.byte_range_ok);
    assert!(!verdict.ok());
    assert!(verdict.problems.contains(&"the ByteRange gap is not this signature's /Contents string".to_string()));
}

#[test]
fn no_single_changed_covered_byte_is_accepted() {
    let pdf = fixture("ecdsa-p256-sha256.pdf");
    let base = good_input(&pdf);
    let (a, b) = (base.byte_range[1] as usize, base.byte_range[2] as usize);
    let mut copy = pdf.clone();
    for at in (0..pdf.len()).step_by(97).filter(|i| *i < a || *i >= b) {
        copy[at] ^= 0x20;
        let input = SignatureInput { file: &copy, ..base.clone() };
        let verdict = verify(&input, None);
        assert!(!verdict.intact && !verdict.ok(), "byte {at}");
        copy[at] = pdf[at];
    }
}

#[test]
fn truncated_and_corrupted_cms_never_panics_or_passes() {
    let pdf = fixture("rsa-sha256.pdf");
    let base = good_input(&pdf);
    let der = base.contents.clone();
    let end = der.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    // Every truncation: caller-supplied contents only, so the gap check fails anyway; what
    // matters is no panic and no "ok".
    for cut in (0..end).step_by(7) {
        let input = SignatureInput { contents: der[..cut].to_vec(), ..base.clone() };
        assert!(!verify(&input, None).ok(), "cut at {cut}");
    }
    // Flipping bytes inside the real gap: whatever the parser makes of it, no panic.
    let (a, b) = (base.byte_range[1] as usize, base.byte_range[2] as usize);
    for at in (a + 1..b - 1).step_by(13) {
        let mut copy = pdf.clone();
        copy[at] = if copy[at] == b'0' { b'f' } else { b'0' };
        let sig = SignatureInput { file: &copy, contents: Vec::new(), ..base.clone() };
        let _ = verify(&sig, None);
    }
}

#[test]
fn hostile_der_is_rejected_cleanly() {
    let pdf = fixture("rsa-sha256.pdf");
    let base = good_input(&pdf);
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x30, 0x80]);
    }
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
        vec![0x30, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        vec![0x30, 0x80, 0x04, 0x80, 0x00, 0x00],
        vec![0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00],
        vec![0x30, 0x03, 0x02, 0x01, 0x01, 0xAA],
        deep,
    ];
    for contents in cases {
        let input = SignatureInput { contents: contents.clone(), byte_range: vec![], ..base.clone() };
        let verdict = verify(&input, None);
        assert!(!verdict.ok());
        assert!(!verdict.valid);
    }
}

#[test]
fn trust_anchor_file_errors() {
    assert!(TrustAnchors::from_pem(b"").is_err());
    assert!(TrustAnchors::from_pem(b"not a certificate").is_err());
    assert!(TrustAnchors::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
    let mut both = fixture("test-ca.pem");
    both.extend_from_slice(&fixture("unrelated-ca.pem"));
    assert_eq!(TrustAnchors::from_pem(&both).expect("two anchors").len(), 2);
}

#[test]
fn hostile_pdf_bytes_do_not_panic_the_extractor() {
    for bytes in [&b""[..], b"%PDF-1.7\n", b"%PDF-1.7\n1 0 obj << /Kids [1 0 R] >> endobj"] {
        let _ = signatures_in(bytes);
    }
}
