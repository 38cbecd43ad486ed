//! HTTPS as in the vendor's samples (`curl -k`, PHP with `verify_peer => false`): a
//! certificate generated at start (`--tls`), or the caller's own (`--tls-cert`/`--tls-key`).
//!
//! rustls with the `ring` provider; HTTP/1.1 only (ALPN `http/1.1`), TLS 1.2 and 1.3.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the server's certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// Generated at start, self-signed, for `localhost`, `127.0.0.1`, `::1` and `names`.
    SelfSigned {
        /// More DNS names or IP addresses for the certificate.
        names: Vec<String>,
        /// Write the certificate (PEM) here, for clients that want to trust it.
        cert_out: Option<PathBuf>,
    },
    /// PEM files: a certificate chain and its private key.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The certificate could not be generated.
    #[error("generating a certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate and key.
    #[error("certificate and key do not make a TLS configuration: {0}")]
    Config(String),
    /// `--tls-cert-out` could not be written.
    #[error("--tls-cert-out {path}: {source}")]
    CertOut {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The TLS configuration a server accepts with.
#[derive(Clone, Debug)]
pub(crate) struct Tls {
    pub(crate) config: Arc<ServerConfig>,
}

impl Tls {
    /// Builds the configuration; a generated certificate is written to `cert_out` if asked.
    ///
    /// # Errors
    /// A [`TlsError`] naming the file and the problem.
    pub(crate) fn load(source: &TlsSource) -> Result<Tls, TlsError> {
        let (chain, key) = match source {
            TlsSource::SelfSigned { names, cert_out } => {
                let mut all: Vec<String> =
                    vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
                all.extend(
                    names
                        .iter()
                        .filter(|n| !all.contains(n))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                let generated = rcgen::generate_simple_self_signed(all)
                    .map_err(|e| TlsError::Generate(e.to_string()))?;
                if let Some(path) = cert_out {
                    std::fs::write(path, generated.cert.pem()).map_err(|source| {
                        TlsError::CertOut {
                            path: path.clone(),
                            source,
                        }
                    })?;
                }
                let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())
                    .map_err(|e| TlsError::Generate(e.to_string()))?;
                (vec![generated.cert.der().clone()], key)
            }
            TlsSource::Files { cert, key } => (read_chain(cert)?, read_key(key)?),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}

fn file_error(path: &Path, problem: impl ToString) -> TlsError {
    TlsError::File {
        path: path.to_owned(),
        problem: problem.to_string(),
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if chain.is_empty() {
        return Err(file_error(path, "no PEM certificate in the file"));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(path, e))
}

/// A client configuration that accepts any certificate, for `vms-billing-mock health`
/// probing its own server (which is self-signed more often than not). Never used for
/// anything else.
///
/// # Errors
/// When the crypto provider supports no default protocol version (it does).
pub(crate) fn trusting_client() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
