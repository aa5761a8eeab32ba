//! RSASSA-PSS verification (RFC 8017 8.1.2 and 9.1.2) for the salt lengths ring does not take.
//!
//! ring verifies PSS only with a salt as long as the digest. OpenSSL signs with the longest
//! salt that fits by default, and RustCrypto's `rsa` verifies those, but its big-number
//! arithmetic took about 0.1 ms of a 0.9 ms form (`mixed-algorithms.pdf`). Here the public-key
//! operation is a Montgomery exponentiation on 64-bit limbs (about 20 µs for 2048 bits), and
//! the encoded message is checked exactly as RFC 8017 9.1.2 says.
//!
//! The arithmetic cannot make a bad signature pass: a wrong result is a garbled encoded
//! message, which the padding and hash checks reject. The tests compare the exponentiation
//! with `num-bigint` and the whole verification with RustCrypto's on signatures RustCrypto
//! made, good and tampered.

use rsa::BigUint;

use super::DigestAlg;

/// Moduli from 1,024 to 8,192 bits; anything else is left to RustCrypto.
const MIN_BYTES: usize = 128;
const MAX_BYTES: usize = 1024;

/// Whether `signature` is a valid RSASSA-PSS signature (MGF1 with `hash`, trailer 0xBC) of the
/// message whose `hash` digest is `m_hash`, under the public key (`n`, `e`, big-endian).
/// `None` when this verifier does not handle the key (an even or unusually sized modulus, a
/// public exponent over 64 bits): then RustCrypto decides.
pub(super) fn verify(
    n: &[u8],
    e: &[u8],
    hash: DigestAlg,
    salt_len: usize,
    m_hash: &[u8],
    signature: &[u8],
) -> Option<bool> {
    let n = strip_zeros(n);
    let e = strip_zeros(e);
    if !(MIN_BYTES..=MAX_BYTES).contains(&n.len()) || n.last().is_none_or(|b| b & 1 == 0) || e.len() > 8 || e.is_empty()
    {
        return None;
    }
    let exponent = e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    // RSAVP1 (8.1.2 step 2): the signature is an integer below the modulus, written in as many
    // bytes as the modulus.
    let k = n.len();
    if signature.len() != k || signature >= n {
        return Some(false);
    }
    let modulus = Modulus::new(n);
    let m = to_bytes(&modulus.pow(&limbs(signature, modulus.n.len()), exponent), k);
    let mod_bits = 8 * k - n[0].leading_zeros() as usize;
    Some(emsa_pss_verify(&m, mod_bits - 1, hash, salt_len, m_hash))
}

/// EMSA-PSS-VERIFY (RFC 8017 9.1.2) of the `k`-byte integer `m` for `em_bits`.
fn emsa_pss_verify(m: &[u8], em_bits: usize, hash: DigestAlg, salt_len: usize, m_hash: &[u8]) -> bool {
    let em_len = em_bits.div_ceil(8);
    // I2OSP(m, emLen): when emLen is one byte shorter than the modulus, that byte must be 0.
    let Some(extra) = m.len().checked_sub(em_len) else { return false };
    if m[..extra].iter().any(|b| *b != 0) {
        return false;
    }
    let em = &m[extra..];
    let h_len = hash.output_len();
    if m_hash.len() != h_len || em_len < h_len + salt_len + 2 {
        return false;
    }
    if em[em_len - 1] != 0xBC {
        return false;
    }
    let (masked_db, h) = (&em[..em_len - h_len - 1], &em[em_len - h_len - 1..em_len - 1]);
    // The leftmost 8·emLen − emBits bits of maskedDB must be zero.
    let zero_bits = 8 * em_len - em_bits;
    let top_mask = (0xFFu16 << (8 - zero_bits)) as u8;
    if masked_db[0] & top_mask != 0 {
        return false;
    }
    let mut db = mgf1(hash, h, masked_db.len());
    db.iter_mut().zip(masked_db).for_each(|(d, m)| *d ^= m);
    db[0] &= !top_mask;
    let padding = em_len - h_len - salt_len - 2;
    if db[..padding].iter().any(|b| *b != 0) || db[padding] != 0x01 {
        return false;
    }
    let salt = &db[padding + 1..];
    let h_prime = hash.digest_parts(&[&[0u8; 8], m_hash, salt]);
    h_prime == h
}

/// MGF1 (RFC 8017 B.2.1): `len` bytes of Hash(seed ‖ counter) for counter = 0, 1, …
fn mgf1(hash: DigestAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while out.len() < len {
        out.extend(hash.digest_parts(&[seed, &counter.to_be_bytes()]));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.iter().take_while(|b| **b == 0).count()..]
}

/// Big-endian bytes as `count` little-endian 64-bit limbs (the value must fit).
fn limbs(bytes: &[u8], count: usize) -> Vec<u64> {
    let mut out = vec![0u64; count];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i / 8] |= u64::from(*b) << (8 * (i % 8));
    }
    out
}

/// Little-endian limbs as `len` big-endian bytes (the value must fit).
fn to_bytes(value: &[u64], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, byte) in out.iter_mut().rev().enumerate() {
        *byte = (value.get(i / 8).copied().unwrap_or(0) >> (8 * (i % 8))) as u8;
    }
    out
}

/// An odd modulus prepared for Montgomery multiplication with R = 2^(64·limbs).
struct Modulus {
    n: Vec<u64>,
    /// −n⁻¹ mod 2^64.
    n_neg_inv: u64,
    /// R² mod n, to bring a number into Montgomery form.
    r2: Vec<u64>,
}

impl Modulus {
    fn new(n_bytes: &[u8]) -> Modulus {
        let count = n_bytes.len().div_ceil(8);
        let n = limbs(n_bytes, count);
        // Newton's iteration doubles the correct low bits of the inverse each step; an odd n₀
        // is its own inverse modulo 8, so five steps reach 64 bits.
        let mut inverse = n[0];
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(n[0].wrapping_mul(inverse)));
        }
        let r2 = (BigUint::from(1u8) << (128 * count)) % BigUint::from_bytes_be(n_bytes);
        let r2 = limbs(&r2.to_bytes_be(), count);
        Modulus { n, n_neg_inv: inverse.wrapping_neg(), r2 }
    }

    /// a·b·R⁻¹ mod n for a, b < n (CIOS: multiplication and reduction interleaved word by word).
    fn mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let s = self.n.len();
        let mut t = vec![0u64; s + 2];
        for &bi in b {
            let mut carry = 0u128;
            for (tj, &aj) in t.iter_mut().zip(a) {
                let v = u128::from(*tj) + u128::from(aj) * u128::from(bi) + carry;
                *tj = v as u64;
                carry = v >> 64;
            }
            let v = u128::from(t[s]) + carry;
            t[s] = v as u64;
            t[s + 1] = (v >> 64) as u64;
            let m = t[0].wrapping_mul(self.n_neg_inv);
            let v = u128::from(t[0]) + u128::from(m) * u128::from(self.n[0]);
            let mut carry = v >> 64;
            for j in 1..s {
                let v = u128::from(t[j]) + u128::from(m) * u128::from(self.n[j]) + carry;
                t[j - 1] = v as u64;
                carry = v >> 64;
            }
            let v = u128::from(t[s]) + carry;
            t[s - 1] = v as u64;
            t[s] = t[s + 1] + (v >> 64) as u64;
        }
        // t < 2n: one subtraction at most.
        if t[s] != 0 || !less(&t[..s], &self.n) {
            let mut borrow = 0u64;
            for (tj, &nj) in t.iter_mut().zip(&self.n) {
                let (d, b1) = tj.overflowing_sub(nj);
                let (d, b2) = d.overflowing_sub(borrow);
                *tj = d;
                borrow = u64::from(b1 || b2);
            }
        }
        t.truncate(s);
        t
    }

    /// base^exponent mod n, for base < n (left to right, square and multiply: the exponent is
    /// public, so the time it takes reveals nothing).
    fn pow(&self, base: &[u64], exponent: u64) -> Vec<u64> {
        let base = self.mul(base, &self.r2);
        let mut one = vec![0u64; self.n.len()];
        one[0] = 1;
        if exponent == 0 {
            return self.mul(&self.mul(&one, &self.r2), &one);
        }
        let mut x = base.clone();
        for bit in (0..63 - exponent.leading_zeros()).rev() {
            x = self.mul(&x, &x);
            if exponent >> bit & 1 == 1 {
                x = self.mul(&x, &base);
            }
        }
        self.mul(&x, &one)
    }
}

/// a < b for numbers of the same number of limbs.
fn less(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift stream: reproducible bytes for the tests.
    struct Bytes(u64);
    impl Bytes {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn fill(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| self.next() as u8).collect()
        }
    }
    impl rsa::rand_core::RngCore for Bytes {
        fn next_u32(&mut self) -> u32 {
            self.next() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.next()
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.iter_mut().for_each(|b| *b = self.next() as u8);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rsa::rand_core::CryptoRng for Bytes {}

    #[test]
    fn exponentiation_agrees_with_num_bigint() {
        let mut rng = Bytes(0x9E37_79B9_7F4A_7C15);
        // Sizes that are and are not whole limbs, exponents small and large.
        for (len, exponent) in [(128, 3u64), (256, 65537), (257, 65537), (300, 0x1_0000_0001), (384, 17), (512, 65537)]
        {
            for _ in 0..4 {
                let mut n = rng.fill(len);
                n[0] |= 0x80;
                n[len - 1] |= 1;
                let mut base = rng.fill(len);
                base[0] &= 0x7F;
                let modulus = Modulus::new(&n);
                let ours = to_bytes(&modulus.pow(&limbs(&base, modulus.n.len()), exponent), len);
                let theirs =
                    BigUint::from_bytes_be(&base).modpow(&BigUint::from(exponent), &BigUint::from_bytes_be(&n));
                assert_eq!(BigUint::from_bytes_be(&ours), theirs, "{len} bytes, e = {exponent}");
            }
        }
    }

    #[test]
    fn agrees_with_rustcrypto_on_good_and_tampered_signatures() {
        use rsa::traits::PublicKeyParts;
        let mut rng = Bytes(0x2545_F491_4F6C_DD1D);
        // 2,048 bits, and 2,049 bits, where the encoded message is one byte shorter than the
        // modulus.
        for bits in [2048, 2049] {
            let private = rsa::RsaPrivateKey::new(&mut rng, bits).expect("key");
            let public = private.to_public_key();
            let (n, e) = (public.n().to_bytes_be(), public.e().to_bytes_be());
            for (hash, h_len) in [(DigestAlg::Sha256, 32), (DigestAlg::Sha384, 48)] {
                let longest = public.size() - h_len - 2 - usize::from(bits % 8 == 1);
                for salt_len in [0, 20, h_len, longest] {
                    let m_hash = hash.digest_parts(&[&rng.fill(40)]);
                    let signature =
                        private.sign_with_rng(&mut rng, hash.pss(salt_len), &m_hash).expect("RustCrypto signs");
                    let rust_crypto =
                        |sig: &[u8], digest: &[u8], salt: usize| public.verify(hash.pss(salt), digest, sig).is_ok();
                    let ours = |sig: &[u8], digest: &[u8], salt: usize| {
                        verify(&n, &e, hash, salt, digest, sig).expect("handled")
                    };
                    assert!(ours(&signature, &m_hash, salt_len), "{bits} bits, salt {salt_len}");
                    assert!(rust_crypto(&signature, &m_hash, salt_len));
                    // Every tampering RustCrypto refuses, this refuses too.
                    let mut cases: Vec<(Vec<u8>, Vec<u8>, usize)> = Vec::new();
                    for at in [0, 1, signature.len() / 2, signature.len() - 1] {
                        let mut bad = signature.clone();
                        bad[at] ^= 0x01;
                        cases.push((bad, m_hash.clone(), salt_len));
                    }
                    let mut other = m_hash.clone();
                    other[0] ^= 0x80;
                    cases.push((signature.clone(), other, salt_len));
                    cases.push((signature.clone(), m_hash.clone(), salt_len + 1));
                    if salt_len > 0 {
                        cases.push((signature.clone(), m_hash.clone(), salt_len - 1));
                    }
                    cases.push((signature[1..].to_vec(), m_hash.clone(), salt_len));
                    for (sig, digest, salt) in cases {
                        assert!(!rust_crypto(&sig, &digest, salt), "RustCrypto accepts a tampered case");
                        assert!(!ours(&sig, &digest, salt), "{bits} bits, salt {salt}: a tampered signature passes");
                    }
                }
            }
        }
    }

    #[test]
    fn a_signature_not_below_the_modulus_and_unusual_keys() {
        let n = {
            let mut n = vec![0xC5u8; 256];
            n[255] = 0xC7;
            n
        };
        let hash = [0u8; 32];
        // s = n and s > n are out of range.
        assert_eq!(verify(&n, &[1, 0, 1], DigestAlg::Sha256, 32, &hash, &n), Some(false));
        assert_eq!(verify(&n, &[1, 0, 1], DigestAlg::Sha256, 32, &hash, &[0xFF; 256]), Some(false));
        // An even modulus, a tiny one and a huge exponent are left to RustCrypto.
        let mut even = n.clone();
        even[255] = 0xC6;
        assert_eq!(verify(&even, &[1, 0, 1], DigestAlg::Sha256, 32, &hash, &[1; 256]), None);
        assert_eq!(verify(&n[..64], &[1, 0, 1], DigestAlg::Sha256, 32, &hash, &[1; 64]), None);
        assert_eq!(verify(&n, &[1; 9], DigestAlg::Sha256, 32, &hash, &[1; 256]), None);
    }
}
