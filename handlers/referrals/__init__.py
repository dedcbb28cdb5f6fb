"""Fever-clinic referrals (发热门诊转诊), followed to their outcome."""
