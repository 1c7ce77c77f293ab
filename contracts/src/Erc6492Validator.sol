// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ERC-6492 off-chain validator, run as the init code of an `eth_call` with no `to`.
/// @notice ERC-6492 lets a verifier check a signature of a not-yet-deployed contract account
///         without sending a transaction: this contract is never deployed. Its constructor
///         runs inside one eth_call, simulates the deployment the wrapper names (the factory
///         call), then asks the account `isValidSignature(hash, innerSignature)` and ends the
///         creation by returning one 32-byte word, 1 (valid) or 0 (invalid), instead of code.
///         For an account that already has code, a failed check is retried once after the
///         wrapper's call (ERC-6492's "prepare" case). All state changes die with the eth_call.
///
///         Wrapper (ERC-6492): abi.encode(factory, factoryCalldata, innerSignature) ‖
///         0x6492...6492 (32 bytes). The caller has already checked the magic suffix.
///
///         ERC-8128 §4.1 step 1: "An invalid wrapper MUST NOT fall back." So there is no
///         ecrecover path: an account that still has no code after the factory call is invalid.
///         A malformed wrapper makes abi.decode revert, which the caller reads as invalid.
contract Erc6492Validator {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    uint256 internal constant SUFFIX_LENGTH = 32;

    constructor(address account, bytes32 hash, bytes memory wrappedSignature) {
        bool valid = _validate(account, hash, wrappedSignature);
        assembly {
            mstore(0, valid)
            return(0, 32)
        }
    }

    function _validate(address account, bytes32 hash, bytes memory wrappedSignature)
        private
        returns (bool)
    {
        if (wrappedSignature.length < SUFFIX_LENGTH) {
            return false;
        }
        // Drop the 32-byte magic suffix in place: shorten the bytes' length word.
        assembly {
            mstore(wrappedSignature, sub(mload(wrappedSignature), 32))
        }
        (address factory, bytes memory factoryCalldata, bytes memory innerSignature) =
            abi.decode(wrappedSignature, (address, bytes, bytes));
        // ERC-6492 verifier side: "do an `eth_call` to a multicall contract that will call the
        // factory first with the `factoryCalldata` and deploy the contract if it isn't already
        // deployed; Then, call `contract.isValidSignature` as usual with the unwrapped signature"
        if (account.code.length == 0) {
            (bool deployed,) = factory.call(factoryCalldata);
            if (!deployed) {
                return false;
            }
            if (account.code.length == 0) {
                return false;
            }
            return _isValidSignature(account, hash, innerSignature);
        }
        if (_isValidSignature(account, hash, innerSignature)) {
            return true;
        }
        // "if the ERC-1271 verification fails, and the deploy call to the `factory` was skipped
        // due to the wallet already having code, execute the `factoryCalldata` transaction and
        // try `isValidSignature` again" (the "prepare" case of a deployed wallet).
        (bool prepared,) = factory.call(factoryCalldata);
        if (!prepared) {
            return false;
        }
        return _isValidSignature(account, hash, innerSignature);
    }

    function _isValidSignature(address account, bytes32 hash, bytes memory signature)
        private
        view
        returns (bool)
    {
        (bool called, bytes memory answer) =
            account.staticcall(abi.encodeWithSelector(MAGIC_VALUE, hash, signature));
        if (!called) {
            return false;
        }
        // ERC-1271 magic value as an ABI-encoded bytes4: exactly one 32-byte word.
        if (answer.length != 32) {
            return false;
        }
        return bytes32(answer) == bytes32(MAGIC_VALUE);
    }
}
