// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Strict recovery of a 65-byte r ‖ s ‖ v secp256k1 signature over a 32-byte hash.
/// @notice The same rules as ERC-8128 §3.4.3 for the test wallets: exactly 65 bytes, low s,
///         v exactly 27 or 28. Any other shape recovers the zero address (never an owner).
library SignatureRecovery {
    /// secp256k1n / 2: larger s values are the high-s twin of a valid signature.
    uint256 internal constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    function recover(bytes32 hash, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) {
            return address(0);
        }
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_ORDER) {
            return address(0);
        }
        if (v != 27 && v != 28) {
            return address(0);
        }
        return ecrecover(hash, v, r, s);
    }
}
