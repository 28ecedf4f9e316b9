// The Secure Enclave half of agent/src/keystore/secure-enclave.ts: a P-256 signing key created and
// used by CryptoKit's SecureEnclave.P256.Signing.PrivateKey. The key never leaves the enclave; its
// `dataRepresentation` is an enclave-encrypted blob that only this Mac's enclave can use, which the
// TypeScript side keeps in a 0600 file. Keeping that blob in a file rather than the keychain needs
// no entitlements (keychain-persisted enclave keys fail with -34018 in a plain CLI).
//
// C ABI, all buffers caller-owned: every function returns a status (below), writes the byte count
// it needed into *_length even when the buffer was too small, and on failure writes a NUL-terminated
// UTF-8 message into `error_out`.
import CryptoKit
import Foundation

private let statusOk: Int32 = 0
private let statusUnavailable: Int32 = 1
private let statusBufferTooSmall: Int32 = 2
private let statusBadKeyData: Int32 = 3
private let statusFailed: Int32 = 4

private func copyOut(
  _ data: Data, _ out: UnsafeMutablePointer<UInt8>, _ capacity: Int, _ length: UnsafeMutablePointer<Int>
) -> Int32 {
  length.pointee = data.count
  guard data.count <= capacity else { return statusBufferTooSmall }
  data.copyBytes(to: out, count: data.count)
  return statusOk
}

private func writeError(_ message: String, _ out: UnsafeMutablePointer<CChar>, _ capacity: Int) {
  guard capacity > 0 else { return }
  let bytes = Array(message.utf8.prefix(capacity - 1))
  for (index, byte) in bytes.enumerated() { out[index] = CChar(bitPattern: byte) }
  out[bytes.count] = 0
}

private func loadKey(
  _ keyData: UnsafePointer<UInt8>, _ keyLength: Int, _ errorOut: UnsafeMutablePointer<CChar>, _ errorCapacity: Int
) -> (SecureEnclave.P256.Signing.PrivateKey?, Int32) {
  do {
    let key = try SecureEnclave.P256.Signing.PrivateKey(
      dataRepresentation: Data(bytes: keyData, count: keyLength))
    return (key, statusOk)
  } catch {
    writeError("\(error)", errorOut, errorCapacity)
    return (nil, statusBadKeyData)
  }
}

@_cdecl("ceros_se_is_available")
public func cerosSeIsAvailable() -> Int32 {
  return SecureEnclave.isAvailable ? 1 : 0
}

/// Creates a key; writes its dataRepresentation and its public key (SPKI DER).
@_cdecl("ceros_se_create")
public func cerosSeCreate(
  _ keyOut: UnsafeMutablePointer<UInt8>, _ keyCapacity: Int, _ keyLength: UnsafeMutablePointer<Int>,
  _ publicOut: UnsafeMutablePointer<UInt8>, _ publicCapacity: Int, _ publicLength: UnsafeMutablePointer<Int>,
  _ errorOut: UnsafeMutablePointer<CChar>, _ errorCapacity: Int
) -> Int32 {
  guard SecureEnclave.isAvailable else {
    writeError("this Mac has no Secure Enclave", errorOut, errorCapacity)
    return statusUnavailable
  }
  do {
    // Default access control: kSecAttrAccessibleWhenUnlockedThisDeviceOnly + .privateKeyUsage, no
    // user presence, so a session can start without a prompt.
    let key = try SecureEnclave.P256.Signing.PrivateKey()
    let status = copyOut(key.dataRepresentation, keyOut, keyCapacity, keyLength)
    if status != statusOk { return status }
    return copyOut(key.publicKey.derRepresentation, publicOut, publicCapacity, publicLength)
  } catch {
    writeError("\(error)", errorOut, errorCapacity)
    return statusFailed
  }
}

/// The public key (SPKI DER) of a key given by its dataRepresentation.
@_cdecl("ceros_se_public_key")
public func cerosSePublicKey(
  _ keyData: UnsafePointer<UInt8>, _ keyLength: Int,
  _ publicOut: UnsafeMutablePointer<UInt8>, _ publicCapacity: Int, _ publicLength: UnsafeMutablePointer<Int>,
  _ errorOut: UnsafeMutablePointer<CChar>, _ errorCapacity: Int
) -> Int32 {
  let (key, status) = loadKey(keyData, keyLength, errorOut, errorCapacity)
  guard let key = key else { return status }
  return copyOut(key.publicKey.derRepresentation, publicOut, publicCapacity, publicLength)
}

/// DER ECDSA signature over SHA-256(message), computed inside the enclave.
@_cdecl("ceros_se_sign")
public func cerosSeSign(
  _ keyData: UnsafePointer<UInt8>, _ keyLength: Int,
  _ message: UnsafePointer<UInt8>, _ messageLength: Int,
  _ signatureOut: UnsafeMutablePointer<UInt8>, _ signatureCapacity: Int,
  _ signatureLength: UnsafeMutablePointer<Int>,
  _ errorOut: UnsafeMutablePointer<CChar>, _ errorCapacity: Int
) -> Int32 {
  let (key, status) = loadKey(keyData, keyLength, errorOut, errorCapacity)
  guard let key = key else { return status }
  do {
    // signature(for: DataProtocol) hashes with SHA-256 itself (CryptoKit's P256.Signing contract).
    let signature = try key.signature(for: Data(bytes: message, count: messageLength))
    return copyOut(signature.derRepresentation, signatureOut, signatureCapacity, signatureLength)
  } catch {
    writeError("\(error)", errorOut, errorCapacity)
    return statusFailed
  }
}
