// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title ReceiptVerifier: accepts ccevm ledger receipts on another EVM chain
/// @notice `verify` proves that an Ethereum transaction was committed on a ccevm ledger at
/// `view.seqno` with the given result and events (the claims of evm-adapter/FORMAT.md),
/// from the receipt that `ccevm_getLedgerReceipt` returns (test/support/receipt-calldata.ts
/// turns that JSON into this contract's calldata).
///
/// What is checked, in this order (each failure reverts with the error named):
///  1. the commit evidence is `ce:<view>.<seqno>:<64 chars>` (BadCommitEvidence); view and
///     seqno are what `verify` returns. The 64 chars are not inspected: the leaf hash binds them;
///  2. every log is well-formed (BadLog): at most 4 topics; a hidden log carries its leaf
///     and nothing else, a shown log no leaf (so no unproven field ever looks proven);
///  3. the proof has at most 256 steps and `leftBits` no bit beyond them (BadProof);
///  4. the COSE protected header is a CBOR map with alg (1) = ES256 (-7) and verifiable data
///     structure (395) = CCF_LEDGER_SHA256 (2), each once (BadProtectedHeader);
///  5. the service key signed the root (BadSignature): claims digest (FORMAT S4), leaf
///     `H(write_set_digest || H(commit_evidence) || claims_digest)`, root by walking the
///     proof, the RFC 9052 Sig_structure `["Signature1", protected, h'', root]`, and one
///     P256VERIFY (EIP-7951 / RIP-7212, address 0x100) call with the pinned service key.
///     Any altered digest, claim, log, proof step, header byte or signature ends here.
///
/// Why the service key and not the node certificate chain: the ledger's signature records
/// carry both a node signature (with the node's X.509 certificate, endorsed by the service
/// key) and a COSE_Sign1 by the service key itself over the same root. Checking the chain
/// here would mean parsing X.509 DER in Solidity (costly, and a large attack surface) only to
/// end at the same trust anchor: every node holds the service key. The node signature and
/// certificate remain in the receipt for offline verifiers and audit.
///
/// Not checked, and why: the header's kid (the key is pinned here, so the kid adds nothing),
/// iat and `ccf.v1.txid` (the signature binds them to the root; the transaction's own txid
/// comes from its commit evidence, inside the leaf). The service key signs COSE_Sign1
/// structures only over ledger roots; alg and vds are checked as cheap domain separation.
/// P256VERIFY accepts both s and n - s (no low-s rule): a receipt is not identified by its
/// signature, so that malleability is harmless. The key is not checked to be on the curve
/// at deployment: a wrong key makes every receipt fail with BadSignature.
///
/// Deployment needs a chain with P256VERIFY at 0x100 (Osaka, or an L2 with RIP-7212) and
/// reverts with P256VerifyUnavailable elsewhere. The service key is immutable: a service
/// that gets a new identity (disaster recovery) needs a new deployment for the receipts
/// signed from then on. Cost: about 32k gas of execution for a 10-step proof without logs
/// (6.9k of it P256VERIFY), plus the calldata (test/hardhat/receipt-verifier.test.ts prints it).
contract ReceiptVerifier {
    struct Receipt {
        bytes32 writeSetDigest;
        /// ASCII bytes of `ce:<view>.<seqno>:<64 hex>`.
        bytes commitEvidence;
        /// Sibling hashes from the leaf up to the root.
        bytes32[] proof;
        /// Bit i set: proof[i] goes on the left, h = H(proof[i] || h).
        uint256 leftBits;
        /// The CBOR-encoded COSE protected header of the signature over the root.
        bytes coseProtected;
        /// The service key's ECDSA P-256 signature over the Sig_structure.
        bytes32 r;
        bytes32 s;
    }

    struct Log {
        bytes32 salt;
        address emitter;
        bytes32[] topics;
        bytes data;
        /// A hidden log (one the receipt's reader may not see) is given by its leaf only:
        /// salt, emitter, topics and data are then zero/empty.
        bool hidden;
        bytes32 leaf;
    }

    struct Claims {
        /// keccak256 of the signed raw transaction.
        bytes32 txHash;
        /// The recovered sender.
        address from;
        bool success;
        uint256 gasUsed;
        /// The created contract, or the zero address when none was created.
        address contractAddress;
        Log[] logs;
    }

    error BadCommitEvidence();
    error BadLog(uint256 index);
    error BadProof();
    error BadProtectedHeader();
    error BadSignature();
    /// The chain has no P256VERIFY precompile at 0x100 (deployment only).
    error P256VerifyUnavailable();

    address private constant P256VERIFY = address(0x100);

    /// The service public key (P-256, affine coordinates), as ccevm_getServiceIdentity gives it.
    bytes32 public immutable serviceKeyX;
    bytes32 public immutable serviceKeyY;

    constructor(bytes32 serviceKeyX_, bytes32 serviceKeyY_) {
        // A known-good signature: on a chain without the precompile every receipt would
        // otherwise fail as BadSignature, which would hide the real problem.
        if (
            !_p256Verify(
                0x7f76243f9909f70097409f881bd9850f1629f05b6ba1d34f8ce16993dbb64465,
                0x04598eb6ca9753e342fd755d20e6fe734b18a10044082dcf14d8c1b44f91570b,
                0xb3bc3f0880330a0224ea7b91f3024a8f3f7d8768ed119de731fc03bfc2abf20b,
                0x7e5e31ad398e7417237be44527c7941c2b06d61e286a868ab67b4baf2eb3ffcd,
                0x69223899c2032ba6a9a1b2669f6ec9663842cea8d1d4411049bbfcbf551b0bb4
            )
        ) revert P256VerifyUnavailable();
        serviceKeyX = serviceKeyX_;
        serviceKeyY = serviceKeyY_;
    }

    /// Reverts unless the receipt proves the claims; returns the transaction's ledger id.
    function verify(Receipt calldata r, Claims calldata c) external view returns (uint64 txView, uint64 txSeqno) {
        (txView, txSeqno) = _parseCommitEvidence(r.commitEvidence);
        bytes32 leaf = sha256(abi.encodePacked(r.writeSetDigest, sha256(r.commitEvidence), claimsDigest(c)));
        bytes32 root = _root(leaf, r.proof, r.leftBits);
        _checkProtectedHeader(r.coseProtected);
        bytes32 signed = sha256(
            abi.encodePacked(hex"846a", "Signature1", _bstrHead(r.coseProtected.length), r.coseProtected, hex"405820", root)
        );
        if (!_p256Verify(signed, r.r, r.s, serviceKeyX, serviceKeyY)) revert BadSignature();
    }

    /// SHA-256 of the 155-byte Ethereum claims (evm-adapter/FORMAT.md).
    function claimsDigest(Claims calldata c) public pure returns (bytes32) {
        return
            sha256(
                abi.encodePacked(
                    "ccevm-eth-claims",
                    uint8(1),
                    c.txHash,
                    c.from,
                    c.success ? uint8(1) : uint8(0),
                    c.gasUsed,
                    c.contractAddress != address(0) ? uint8(1) : uint8(0),
                    c.contractAddress,
                    _logsHash(c.logs)
                )
            );
    }

    function _logsHash(Log[] calldata logs) private pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](logs.length);
        for (uint256 i = 0; i < logs.length; i++) {
            Log calldata log = logs[i];
            if (log.hidden) {
                if (log.salt != 0 || log.emitter != address(0) || log.topics.length != 0 || log.data.length != 0) {
                    revert BadLog(i);
                }
                leaves[i] = log.leaf;
            } else {
                if (log.leaf != 0 || log.topics.length > 4) revert BadLog(i);
                leaves[i] = sha256(
                    abi.encodePacked(log.salt, log.emitter, uint8(log.topics.length), log.topics, log.data)
                );
            }
        }
        return sha256(abi.encodePacked(leaves));
    }

    function _root(bytes32 leaf, bytes32[] calldata proof, uint256 leftBits) private view returns (bytes32 h) {
        uint256 n = proof.length;
        if (n > 256 || (n < 256 && leftBits >> n != 0)) revert BadProof();
        h = leaf;
        for (uint256 i = 0; i < n; i++) {
            h = (leftBits >> i) & 1 == 1 ? _sha256Pair(proof[i], h) : _sha256Pair(h, proof[i]);
        }
    }

    /// sha256(a || b) in scratch space, without allocating memory at every proof step.
    function _sha256Pair(bytes32 a, bytes32 b) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                revert(0, 0)
            }
            h := mload(0x00)
        }
    }

    function _p256Verify(bytes32 hash, bytes32 r, bytes32 s, bytes32 x, bytes32 y) private view returns (bool) {
        // Success is a 32-byte 1; a failed check (or no precompile) returns nothing.
        (bool ok, bytes memory out) = P256VERIFY.staticcall(abi.encode(hash, r, s, x, y));
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }

    /// The CBOR head of a byte string of `len` bytes (as COSE Sig_structure wraps the header).
    function _bstrHead(uint256 len) private pure returns (bytes memory) {
        if (len < 24) return abi.encodePacked(uint8(0x40 + len));
        if (len < 256) return abi.encodePacked(uint8(0x58), uint8(len));
        if (len < 65536) return abi.encodePacked(uint8(0x59), uint16(len));
        revert BadProtectedHeader();
    }

    function _parseCommitEvidence(bytes calldata ce) private pure returns (uint64 txView, uint64 txSeqno) {
        if (ce.length < 3 || ce[0] != "c" || ce[1] != "e" || ce[2] != ":") revert BadCommitEvidence();
        uint256 pos;
        (txView, pos) = _decimal(ce, 3);
        if (pos >= ce.length || ce[pos] != ".") revert BadCommitEvidence();
        (txSeqno, pos) = _decimal(ce, pos + 1);
        if (pos >= ce.length || ce[pos] != ":" || ce.length != pos + 65) revert BadCommitEvidence();
    }

    /// A decimal uint64 at `pos` (at least one digit, no leading zero); returns the next position.
    function _decimal(bytes calldata s, uint256 pos) private pure returns (uint64, uint256) {
        uint256 start = pos;
        uint256 value;
        for (; pos < s.length; pos++) {
            uint256 c = _byteAt(s, pos);
            if (c < 0x30 || c > 0x39) break; // not a digit
            value = value * 10 + (c - 0x30);
            if (value > type(uint64).max) revert BadCommitEvidence();
        }
        if (pos == start || (s[start] == "0" && pos - start > 1)) revert BadCommitEvidence();
        return (uint64(value), pos);
    }

    /// The protected header is a CBOR map holding alg = -7 and vds = 2 (in any order, each
    /// once, other entries skipped), with nothing after it.
    function _checkProtectedHeader(bytes calldata h) private pure {
        (uint256 major, uint256 count, uint256 pos) = _head(h, 0);
        if (major != 5) revert BadProtectedHeader();
        bool alg;
        bool vds;
        for (uint256 i = 0; i < count; i++) {
            uint256 keyMajor;
            uint256 key;
            (keyMajor, key, pos) = _head(h, pos);
            if (keyMajor > 3) revert BadProtectedHeader(); // keys are integers or strings
            if (keyMajor == 0 && (key == 1 || key == 395)) {
                (uint256 valueMajor, uint256 value, uint256 next) = _head(h, pos);
                bool isAlg = key == 1;
                // alg ES256 is -7, CBOR negative integer 6; vds CCF_LEDGER_SHA256 is 2.
                bool expected = isAlg ? valueMajor == 1 && value == 6 : valueMajor == 0 && value == 2;
                if (!expected || (isAlg ? alg : vds)) revert BadProtectedHeader();
                if (isAlg) alg = true;
                else vds = true;
                pos = next;
            } else {
                if (keyMajor >= 2) pos += key; // a string key's bytes
                pos = _skip(h, pos);
            }
        }
        if (!alg || !vds || pos != h.length) revert BadProtectedHeader();
    }

    /// Skips the CBOR item at `pos` (with everything nested in it); returns the position
    /// after it. Iterative, so any nesting costs only its bytes: every item takes at least
    /// one byte, and reading past the end reverts. A string running past the end is caught
    /// by the next head or by the caller's final `pos != h.length`.
    function _skip(bytes calldata h, uint256 pos) private pure returns (uint256) {
        uint256 items = 1;
        while (items > 0) {
            (uint256 major, uint256 arg, uint256 next) = _head(h, pos);
            pos = next;
            items--;
            if (major == 2 || major == 3) pos += arg;
            else if (major == 4) items += arg;
            else if (major == 5) items += 2 * arg;
            else if (major == 6) items += 1; // a tag, then its item
        }
        return pos;
    }

    /// A CBOR head at `pos`: major type, argument, position after the head. Indefinite
    /// lengths and reserved encodings are rejected. A head must start inside the header; its
    /// argument bytes may run past the end (calldataload reads on), which is harmless: `next`
    /// is then past the end, so the next head or the final `pos != h.length` rejects it.
    function _head(bytes calldata h, uint256 pos) private pure returns (uint256 major, uint256 arg, uint256 next) {
        if (pos >= h.length) revert BadProtectedHeader();
        uint256 b = _byteAt(h, pos);
        major = b >> 5;
        uint256 info = b & 0x1f;
        if (info < 24) return (major, info, pos + 1);
        if (info > 27) revert BadProtectedHeader();
        uint256 size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
        assembly ("memory-safe") {
            // The `size` big-endian bytes after the head byte.
            arg := shr(sub(256, shl(3, size)), calldataload(add(add(h.offset, pos), 1)))
        }
        next = pos + 1 + size;
    }

    /// s[i] without Solidity's bounds check and byte conversions; callers check i < s.length
    /// (past the end, calldataload would read the next argument's bytes).
    function _byteAt(bytes calldata s, uint256 i) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, calldataload(add(s.offset, i)))
        }
    }
}
