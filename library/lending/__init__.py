"""lending"""
