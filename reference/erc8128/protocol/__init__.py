"""ERC-8128 itself: keyids, profiles, policy, signing, verification, accounts, challenges and
discovery.
"""
