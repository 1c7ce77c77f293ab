"""Tests of erc8128.protocol: verification, challenges, discovery."""
