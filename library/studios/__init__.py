"""studios"""
